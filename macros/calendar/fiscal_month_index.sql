{#- 0-based position of a date's month within its fiscal year (0 = first fiscal month). -#}
{% macro fiscal_month_index(date_expr) %}
    mod(cast({{ date_part("month", date_expr) }} as {{ dbt.type_int() }}) - {{ fiscal_year_start_month() }} + 12, 12)
{%- endmacro %}
