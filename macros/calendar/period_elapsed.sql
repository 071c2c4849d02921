{#-
    How much of the period [period_start, period_end] (SQL date expressions,
    both days included) has elapsed at the as-of date, as three columns:
    days_in_period; days_elapsed (0 before the period starts, every day once
    it has ended, else the days up to and including the as-of date); and
    pct_period_elapsed = days_elapsed / days_in_period, a 64-bit float
    (ratio). The one computation of dim_periods, int_target_attainment and
    kpi_rep_attainment.
-#}
{% macro period_elapsed(period_start, period_end) %}
    {%- set days_in_period = dbt.datediff(period_start, period_end, "day") ~ " + 1" -%}
    {%- set days_elapsed -%}
        case
            when {{ as_of_date() }} < {{ period_start }} then 0
            when {{ as_of_date() }} >= {{ period_end }} then {{ days_in_period }}
            else {{ dbt.datediff(period_start, as_of_date(), "day") }} + 1
        end
    {%- endset -%}
    {{ days_in_period }} as days_in_period,
    {{ days_elapsed }} as days_elapsed,
    {{ ratio(days_elapsed, days_in_period) }} as pct_period_elapsed
{%- endmacro %}
