{#-
    The semantic layer's day time spine: every day of the project calendar
    (dim_dates: from the first raw event to the as-of date plus
    var calendar_horizon_days), so MetricFlow can join metrics to days and
    roll them up to weeks, months, quarters and years.
-#}
with dates as (select * from {{ ref('dim_dates') }}),

final as (
    select cast(date_day as date) as date_day
    from dates
)

select * from final
