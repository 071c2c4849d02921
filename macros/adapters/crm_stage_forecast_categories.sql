{#-
    The forecast categories the CRM connections give their stages, for
    stg_crm__stages (docs/decisions/0031-forecast-categories.md): the union
    of the adapters' stg_<source>__stage_forecast_categories models (stage_name,
    forecast_category, weight), or an empty relation with those columns on
    canonical input. Decided at parse time from vars, like raw_relation.
-#}
{% macro crm_stage_forecast_categories() %}
    {%- set selects = [] -%}
    {%- for source_name in crm_adapter_sources() -%}
        {%- do selects.append("select stage_name, forecast_category, weight from "
            ~ ref("stg_" ~ source_name ~ "__stage_forecast_categories")) -%}
    {%- endfor -%}
    {%- if selects | length == 0 -%}
        {%- do selects.append("select cast(null as " ~ dbt.type_string() ~ ") as stage_name, cast(null as "
            ~ dbt.type_string() ~ ") as forecast_category, cast(0 as " ~ dbt.type_bigint() ~ ") as weight where 1 = 0") -%}
    {%- endif -%}
    {{- return("(" ~ selects | join(" union all ") ~ ")") -}}
{% endmacro %}
