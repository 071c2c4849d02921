{#-
    What each source adapter reads and provides.
    adapter_tables(source): {table: {required, columns}} of the Fivetran
    tables read (snake_case names; camelCase accepted, see adapter_normalise),
    with the columns the build cannot do without. Optional tables may be
    absent: the models that read them see no rows.
    adapter_provides(source): the contract tables the adapter produces; the
    others stay canonical tables in the raw schema / raw-data directory.
    adapter_reads_canonical(source): contract tables the adapter also reads
    from the raw schema when the user provides them (users: overrides of HR
    attributes; products, exchange_rates: they win over the CRM's objects).
-#}
{% macro adapter_tables(source_name) %}
    {%- set tables = {
        "salesforce": {
            "lead": {"required": true, "columns": ["id", "created_date"]},
            "opportunity": {"required": true, "columns": ["id", "account_id", "stage_name", "close_date", "created_date"]},
            "opportunity_history": {"required": false, "columns": ["stage_name"]},
            "account": {"required": true, "columns": ["id"]},
            "user": {"required": true, "columns": ["id"]},
            "user_role": {"required": false, "columns": ["id", "name"]},
            "opportunity_line_item": {"required": false, "columns": ["opportunity_id", "product_2_id"]},
            "product_2": {"required": false, "columns": ["id", "name"]},
            "dated_conversion_rate": {"required": false, "columns": ["iso_code", "start_date", "conversion_rate"]},
        },
        "hubspot": {
            "contact": {"required": true, "columns": ["id", "property_createdate"]},
            "contact_property_history": {"required": false, "columns": ["contact_id", "name", "value", "timestamp"]},
            "deal": {"required": true, "columns": ["deal_id", "property_createdate", "property_closedate"]},
            "deal_stage": {"required": false, "columns": ["deal_id", "value", "date_entered"]},
            "deal_property_history": {"required": false, "columns": ["deal_id", "name", "value", "timestamp"]},
            "deal_pipeline_stage": {"required": true, "columns": ["stage_id", "label"]},
            "deal_company": {"required": false, "columns": ["deal_id", "company_id"]},
            "deal_contact": {"required": false, "columns": ["deal_id", "contact_id"]},
            "company": {"required": true, "columns": ["id"]},
            "owner": {"required": true, "columns": ["owner_id"]},
            "line_item": {"required": false, "columns": ["id", "property_hs_product_id"]},
            "line_item_deal": {"required": false, "columns": ["line_item_id", "deal_id"]},
        },
    } -%}
    {{- return(tables[source_name]) -}}
{% endmacro %}

{% macro adapter_provides(source_name) %}
    {%- set provided = {
        "salesforce": ["users", "accounts", "leads", "opportunities", "opportunity_stage_history", "opportunity_history",
                       "products", "exchange_rates"],
        "hubspot": ["users", "accounts", "leads", "opportunities", "opportunity_stage_history", "opportunity_history"],
    } -%}
    {{- return(provided[source_name]) -}}
{% endmacro %}

{% macro adapter_reads_canonical(source_name) %}
    {%- set read = {
        "salesforce": ["users", "products", "exchange_rates"],
        "hubspot": ["users"],
    } -%}
    {{- return(read[source_name]) -}}
{% endmacro %}

{#- The table name (identifier) of a source table: var <source>_<table>_identifier, default the table. -#}
{% macro adapter_identifier(source_name, table) %}
    {{- return(var(source_name ~ "_" ~ table ~ "_identifier", table) or table) -}}
{% endmacro %}

{#-
    A column or table name reduced for matching: lower case without
    underscores, so Fivetran's snake_case (converted_opportunity_id, sdr_c)
    and Salesforce's own names (ConvertedOpportunityId, SDR__c) are the same.
-#}
{% macro adapter_normalise(name) %}
    {{- return(name | lower | replace("_", "")) -}}
{% endmacro %}
