{#- Where the raw tables are: var raw_schema (default raw) in var raw_database (default the target's). -#}
{% macro raw_schema() %}{{ return(var("raw_schema", "raw")) }}{% endmacro %}
