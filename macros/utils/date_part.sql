{#- A named part (year, month, week, isoyear, ...) of a date, as a number: extract(), which DuckDB, PostgreSQL and Spark share. -#}
{% macro date_part(part, date_expr) %}
    {{- return(adapter.dispatch("date_part", "sales_kpis")(part, date_expr)) -}}
{% endmacro %}

{% macro default__date_part(part, date_expr) %}extract({{ part }} from {{ date_expr }}){% endmacro %}
