{#- The ISO-8601 week-numbering year of a date. -#}
{% macro iso_year(date_expr) %}
    {{- return(adapter.dispatch("iso_year", "sales_kpis")(date_expr)) -}}
{% endmacro %}

{% macro default__iso_year(date_expr) %}
    cast({{ date_part("isoyear", date_expr) }} as {{ dbt.type_int() }})
{%- endmacro %}

{#- Spark has no isoyear date part: the ISO year is the year of the week's Thursday. -#}
{% macro spark__iso_year(date_expr) %}
    cast(year(date_add(date_trunc('week', {{ date_expr }}), 3)) as int)
{%- endmacro %}
