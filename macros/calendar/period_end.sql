{#- Last day (inclusive) of the period of a grain that starts on start_expr. -#}
{% macro period_end(grain, start_expr) %}
    {%- if grain == "week" -%}
        cast({{ dbt.dateadd("day", 6, start_expr) }} as date)
    {%- else -%}
        {%- set months = {"month": 1, "quarter": 3, "year": 12}[grain] -%}
        cast({{ dbt.dateadd("day", -1, dbt.dateadd("month", months, start_expr)) }} as date)
    {%- endif -%}
{%- endmacro %}
