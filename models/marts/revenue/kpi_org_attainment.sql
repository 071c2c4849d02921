{#-
    Every target as measured by int_target_attainment (with the grain of
    the period it is set on, and the pace of the previous period), and
    period_view for the targets of the current month, quarter and year
    (mtd, qtd, ytd).
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
        targets.target_period_grain,
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
        targets.prior_period_start,
        targets.prior_period_end,
        targets.prior_period_target_value,
        targets.prior_period_actual_to_date,
        targets.prior_period_attainment_to_date,
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
