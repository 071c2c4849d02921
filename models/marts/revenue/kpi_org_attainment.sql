{#-
    Every target as measured by int_target_attainment, with the period it
    is set on: target_period_grain when the target period is a calendar
    month, fiscal quarter or fiscal year of dim_periods (else custom), and
    period_view for the targets of the current ones (mtd, qtd, ytd).
-#}
with targets as (select * from {{ ref('int_target_attainment') }}),

periods as (
    select * from {{ ref('dim_periods') }}
    where period_grain in ('month', 'quarter', 'year')
),

final as (
    select
        targets.target_id,
        targets.period_start,
        targets.period_end,
        coalesce(periods.period_grain, 'custom') as target_period_grain,
        case
            when periods.is_current and periods.period_grain = 'month' then 'mtd'
            when periods.is_current and periods.period_grain = 'quarter' then 'qtd'
            when periods.is_current and periods.period_grain = 'year' then 'ytd'
        end as period_view,
        targets.metric,
        targets.segment,
        targets.product_id,
        targets.metric_status,
        targets.target_value,
        targets.actual_value,
        targets.attainment,
        targets.days_in_period,
        targets.days_elapsed,
        targets.pct_period_elapsed,
        targets.pace,
        targets.gap,
        targets.measured_through,
        targets.is_complete
    from targets
    left join periods
        on
            targets.period_start = periods.period_start
            and targets.period_end = periods.period_end
)

select * from final
