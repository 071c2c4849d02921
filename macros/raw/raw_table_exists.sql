{#- True when the raw table exists (always false at parse time). -#}
{% macro raw_table_exists(table) %}
    {%- set relation = source("crm", table) -%}
    {{- return(execute and adapter.get_relation(
        database=relation.database, schema=relation.schema, identifier=relation.identifier) is not none) -}}
{% endmacro %}
