{#-
    The source field (or list of fields, coalesced in order) that feeds a
    column which has no standard field in the CRM: var <source>_fields
    ({table: {column: field or [fields] or null}}) over the defaults below.
    A field absent from the table gives a typed null.
-#}
{% macro adapter_field(source_name, table, column) %}
    {%- set defaults = {
        "salesforce": {
            "user": {"team": "department", "segment": "segment_c", "region": "region_c",
                     "hired_on": "hired_on_c", "left_on": "left_on_c", "annual_ote": "annual_ote_c",
                     "ramp_months": "ramp_months_c"},
            "lead": {"campaign": "campaign_c", "mql_at": "mql_date_c", "sql_at": "sql_date_c",
                     "disqualified_at": "disqualified_date_c"},
            "opportunity": {"sourced_by_id": "sdr_c", "lead_id": "lead_c"},
            "account": {"segment": "segment_c", "region": "region_c"},
            "product_2": {"launched_on": "launched_on_c"},
        },
        "hubspot": {
            "contact": {"lead_source": ["property_lead_source", "property_hs_analytics_source"],
                        "campaign": "property_hs_analytics_source_data_1",
                        "owner_id": "property_hubspot_owner_id",
                        "company_id": "property_associatedcompanyid"},
            "deal": {"sourced_by_id": "property_sdr_owner_id", "lead_id": "property_lead_contact_id"},
            "deal_pipeline_stage": {"forecast_category": "forecast_category"},
            "company": {"segment": "property_segment", "region": "property_region"},
        },
    } -%}
    {%- set overrides = (var(source_name ~ "_fields", {}) or {}).get(table, {}) or {} -%}
    {%- if column in overrides -%}
        {{- return(overrides[column]) -}}
    {%- endif -%}
    {{- return(defaults.get(source_name, {}).get(table, {}).get(column)) -}}
{% endmacro %}
