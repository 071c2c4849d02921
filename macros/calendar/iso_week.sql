{#- The ISO-8601 week number (1..53) of a date. -#}
{% macro iso_week(date_expr) %}
    {{- return(adapter.dispatch("iso_week", "sales_kpis")(date_expr)) -}}
{% endmacro %}

{% macro default__iso_week(date_expr) %}
    cast({{ date_part("week", date_expr) }} as {{ dbt.type_int() }})
{%- endmacro %}

{% macro spark__iso_week(date_expr) %}
    cast(weekofyear({{ date_expr }}) as int)
{%- endmacro %}
