{#-
    The dense rows of a monthly ARR mart: every month started by the as-of
    date (the as-of month measured to date) from the first month of
    `relation` (plus `months_after_first` months) x every CRM connection and
    segment of `relation`, as month_start, month_end, measured_through (the
    month end, or the as-of date), is_complete, source_relation, segment. A
    month without movements still gets its row.
    periods: the dim_periods relation; relation: rows with source_relation,
    segment and month_start (int_account_arr_monthly or its movements).
-#}
{% macro arr_month_spine(periods, relation, months_after_first=0) %}
    {%- set first_month = "(select min(month_start) from " ~ relation ~ ")" -%}
    select
        month_periods.period_start as month_start,
        month_periods.period_end as month_end,
        {{ measured_through('month_periods.period_end') }} as measured_through,
        month_periods.is_complete,
        segments.source_relation,
        segments.segment
    from {{ periods }} as month_periods
    cross join (
        select distinct
            source_relation,
            segment
        from {{ relation }}
    ) as segments
    where
        month_periods.period_grain = 'month'
        and month_periods.period_start <= {{ as_of_date() }}
        {%- if months_after_first %}
        and month_periods.period_start >= cast({{ dbt.dateadd('month', months_after_first, first_month) }} as date)
        {%- else %}
        and month_periods.period_start >= {{ first_month }}
        {%- endif %}
{%- endmacro %}
