{#- The fiscal quarter (1..4) of a date: 3-month blocks from the fiscal-year start. -#}
{% macro fiscal_quarter(date_expr) %}
    cast(floor({{ fiscal_month_index(date_expr) }} / 3.0) + 1 as {{ dbt.type_int() }})
{%- endmacro %}
