{#- The fiscal year of a date, named after the calendar year in which that fiscal year ends. -#}
{% macro fiscal_year(date_expr) %}
    {%- set shift = (13 - fiscal_year_start_month()) % 12 -%}
    cast({{ date_part("year", dbt.dateadd("month", shift, date_expr)) }} as {{ dbt.type_int() }})
{%- endmacro %}
