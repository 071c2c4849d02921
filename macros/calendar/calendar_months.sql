{#-
    The calendar months of dim_dates (`dates`: its import CTE) started by the
    as-of date, as month_start, month_end and measured_through (the month end,
    or the as-of date for the as-of month: the month to date);
    from_month_start (a SQL date expression) cuts off the earlier ones.
-#}
{% macro calendar_months(dates, from_month_start=none) %}
    select distinct
        month_start,
        month_end,
        {{ measured_through('month_end') }} as measured_through
    from {{ dates }}
    where
        month_start <= {{ as_of_date() }}
        {%- if from_month_start is not none %}
        and month_start >= {{ from_month_start }}
        {%- endif %}
{%- endmacro %}
