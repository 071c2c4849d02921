{#- Where a raw table is looked for, in words, for error messages. -#}
{% macro raw_location(table) %}
    {{- return(adapter.dispatch("raw_location", "sales_kpis")(table)) -}}
{% endmacro %}

{% macro default__raw_location(table) %}
    {{- return(raw_database() ~ "." ~ raw_schema() ~ "." ~ table) -}}
{% endmacro %}

{% macro duckdb__raw_location(table) %}
    {{- return(raw_dir() ~ "/" ~ table ~ ".parquet or .csv") -}}
{% endmacro %}
