{#-
    Organisational attainment: one row per targets row (period x metric x
    segment x product), with the metric measured over the target period up to
    the as-of date (0 for a period that has not started), attainment = actual /
    target, the share of the period elapsed, pace = attainment / share
    elapsed, and gap = target - actual. A segment target is measured on that
    segment, a product target on that product (ARR metrics on the account x
    product movements). A target whose metric is unknown, or cannot be
    measured at the target's segment or product, keeps its row with a null
    actual and a metric_status saying why (a warning test lists them).
    `period_view` marks the targets of the current fiscal month, quarter and year
    (mtd, qtd, ytd).
-#}
with targets as (
    select * from {{ ref('stg_crm__targets') }}
),

metric_daily as (
    select * from {{ ref('int_org_metric_daily') }}
),

periods as (
    select * from {{ ref('dim_periods') }}
),

metrics as (
    {{ org_metrics_relation() }}
),

-- Identical target rows stay distinct rows (duplicate_rank).
numbered_targets as (
    select
        *,
        row_number() over (
            partition by metric, segment, product_id, period_start, period_end
            order by target_value
        ) as duplicate_rank
    from targets
),

classified_targets as (
    select
        numbered_targets.metric
        || '|' || coalesce(numbered_targets.segment, '*')
        || '|' || coalesce(numbered_targets.product_id, '*')
        || '|' || cast(numbered_targets.period_start as {{ dbt.type_string() }})
        || '|' || cast(numbered_targets.period_end as {{ dbt.type_string() }})
        || '|' || cast(numbered_targets.duplicate_rank as {{ dbt.type_string() }}) as target_id,
        numbered_targets.period_start,
        numbered_targets.period_end,
        numbered_targets.metric,
        numbered_targets.segment,
        numbered_targets.product_id,
        numbered_targets.target_value,
        case
            when metrics.metric is null then 'unknown_metric'
            when numbered_targets.segment is not null and not metrics.supports_segment then 'segment_not_measurable'
            when numbered_targets.product_id is not null and not metrics.supports_product then 'product_not_measurable'
            when numbered_targets.period_end < numbered_targets.period_start then 'invalid_period'
            else 'measured'
        end as metric_status
    from numbered_targets
    left join metrics
        on numbered_targets.metric = metrics.metric
),

-- Daily sums in the period up to the as-of date (targets are few, days x metrics small).
actuals as (
    select
        classified_targets.target_id,
        sum(metric_daily.metric_value) as actual_value
    from classified_targets
    inner join metric_daily
        on
            classified_targets.metric = metric_daily.metric
            and classified_targets.period_start <= metric_daily.metric_date
            and classified_targets.period_end >= metric_daily.metric_date
            and metric_daily.metric_date <= {{ as_of_date() }}
            and (classified_targets.segment is null or classified_targets.segment = metric_daily.segment)
            and (
                (classified_targets.product_id is null and metric_daily.applies_to_company)
                or (classified_targets.product_id = metric_daily.product_id and metric_daily.applies_to_product)
            )
    where classified_targets.metric_status = 'measured'
    group by classified_targets.target_id
),

elapsed as (
    select
        target_id,
        {{ dbt.datediff('period_start', 'period_end', 'day') }} + 1 as days_in_period,
        case
            when {{ as_of_date() }} < period_start then 0
            when {{ as_of_date() }} >= period_end then {{ dbt.datediff('period_start', 'period_end', 'day') }} + 1
            else {{ dbt.datediff('period_start', as_of_date(), 'day') }} + 1
        end as days_elapsed
    from classified_targets
    where metric_status <> 'invalid_period'
),

standard_periods as (
    select
        period_grain,
        period_start,
        period_end,
        is_current
    from periods
    where period_grain in ('month', 'quarter', 'year')
),

measured as (
    select
        classified_targets.target_id,
        classified_targets.period_start,
        classified_targets.period_end,
        coalesce(standard_periods.period_grain, 'custom') as target_period_grain,
        case
            when standard_periods.is_current and standard_periods.period_grain = 'month' then 'mtd'
            when standard_periods.is_current and standard_periods.period_grain = 'quarter' then 'qtd'
            when standard_periods.is_current and standard_periods.period_grain = 'year' then 'ytd'
        end as period_view,
        classified_targets.metric,
        classified_targets.segment,
        classified_targets.product_id,
        classified_targets.metric_status,
        classified_targets.target_value,
        case
            when classified_targets.metric_status = 'measured' then coalesce(actuals.actual_value, 0)
        end as actual_value,
        elapsed.days_in_period,
        elapsed.days_elapsed,
        cast(elapsed.days_elapsed as {{ type_amount() }}) / elapsed.days_in_period as pct_period_elapsed
    from classified_targets
    left join actuals
        on classified_targets.target_id = actuals.target_id
    left join elapsed
        on classified_targets.target_id = elapsed.target_id
    left join standard_periods
        on
            classified_targets.period_start = standard_periods.period_start
            and classified_targets.period_end = standard_periods.period_end
),

final as (
    select
        target_id,
        period_start,
        period_end,
        target_period_grain,
        period_view,
        metric,
        segment,
        product_id,
        metric_status,
        cast(target_value as {{ type_amount() }}) as target_value,
        cast(actual_value as {{ type_amount() }}) as actual_value,
        {{ ratio('actual_value', 'target_value') }} as attainment,
        days_in_period,
        days_elapsed,
        cast(pct_period_elapsed as {{ type_double() }}) as pct_period_elapsed,
        {{ ratio(ratio('actual_value', 'target_value'), 'pct_period_elapsed') }} as pace,
        cast(target_value - actual_value as {{ type_amount() }}) as gap,
        case
            when period_end < {{ as_of_date() }} then period_end
            else {{ as_of_date() }}
        end as measured_through,
        period_end <= {{ as_of_date() }} as is_complete
    from measured
)

select * from final
