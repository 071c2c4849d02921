{#-
    True when the raw table exists (always false at parse time). In a unit
    test the source is the test's fixture, so it exists.
-#}
{% macro raw_table_exists(table) %}
    {%- if execute and model is defined and model.resource_type is defined and model.resource_type == "unit_test" -%}
        {{- return(true) -}}
    {%- endif -%}
    {%- set relation = source("crm", table) -%}
    {{- return(execute and adapter.get_relation(
        database=relation.database, schema=relation.schema, identifier=relation.identifier) is not none) -}}
{% endmacro %}
