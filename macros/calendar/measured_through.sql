{#-
    The last day a period is measured through at the as-of date: its last
    day (period_end, a SQL date expression) when that is on or before the
    as-of date, else the as-of date itself (the period to date).
-#}
{% macro measured_through(period_end) %}
    case when {{ period_end }} < {{ as_of_date() }} then {{ period_end }} else {{ as_of_date() }} end
{%- endmacro %}
