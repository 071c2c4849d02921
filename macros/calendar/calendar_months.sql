{#-
    The calendar months of dim_dates (`dates`: its import CTE) up to the
    as-of date, as month_start, month_end: the months started by then, or
    with complete_only those ended by then; from_month_start (a SQL date
    expression) cuts off the earlier ones.
-#}
{% macro calendar_months(dates, complete_only=false, from_month_start=none) %}
    select distinct
        month_start,
        month_end
    from {{ dates }}
    where
        {{ "month_end" if complete_only else "month_start" }} <= {{ as_of_date() }}
        {%- if from_month_start is not none %}
        and month_start >= {{ from_month_start }}
        {%- endif %}
{%- endmacro %}
