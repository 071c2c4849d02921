{#- The warehouse type for a contract logical type (text, timestamp, date, decimal, integer, boolean). -#}
{% macro logical_type(name) %}
    {%- if name == "text" -%}{{ dbt.type_string() }}
    {%- elif name == "timestamp" -%}{{ dbt.type_timestamp() }}
    {%- elif name == "date" -%}date
    {%- elif name == "decimal" -%}{{ type_amount() }}
    {%- elif name == "integer" -%}{{ dbt.type_int() }}
    {%- elif name == "boolean" -%}{{ dbt.type_boolean() }}
    {%- else -%}{{ exceptions.raise_compiler_error("unknown logical type '" ~ name ~ "'") }}
    {%- endif -%}
{% endmacro %}
