{#-
    First day of the period of grain week (ISO, Monday), month, quarter
    (fiscal) or year (fiscal) that contains a date.
-#}
{% macro period_start(grain, date_expr) %}
    {%- if grain == "week" -%}
        cast({{ dbt.date_trunc("week", date_expr) }} as date)
    {%- elif grain == "month" -%}
        cast({{ dbt.date_trunc("month", date_expr) }} as date)
    {%- elif grain in ("quarter", "year") -%}
        {%- set months_back = "mod(" ~ fiscal_month_index(date_expr) ~ ", " ~ (3 if grain == "quarter" else 12) ~ ")" -%}
        cast({{ dbt.dateadd("month", "-1 * " ~ months_back, dbt.date_trunc("month", date_expr)) }} as date)
    {%- else -%}
        {{- exceptions.raise_compiler_error("unknown period grain '" ~ grain ~ "' (week, month, quarter, year)") -}}
    {%- endif -%}
{%- endmacro %}
