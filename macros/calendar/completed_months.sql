{#-
    Whole calendar months from start_expr to end_expr: the largest n with
    start + n months <= end (month ends clamp: Jan 31 + 1 month = Feb 28/29).
    Negative when end is before start. Both are SQL date expressions.
-#}
{% macro completed_months(start_expr, end_expr) %}
    {%- set months = dbt.datediff(start_expr, end_expr, "month") -%}
    ({{ months }} - case when {{ dbt.dateadd("month", months, start_expr) }} > {{ end_expr }} then 1 else 0 end)
{%- endmacro %}
