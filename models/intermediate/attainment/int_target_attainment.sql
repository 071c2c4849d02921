{#-
    One row per targets row, measured once for every mart that publishes it
    (kpi_org_attainment: every target; kpi_product_launch_attainment: the
    product targets). The target's metric is summed from int_org_metric_daily
    over the target period up to the as-of date: a segment target over that
    segment's rows, a product target over the rows that apply to products
    (account x product movements), any other over the rows that apply to the
    company. Targets are few and days x metrics small, so the daily rows are
    range-joined to the target periods directly.

    A target whose metric is not in the org_metrics catalogue, or cannot be
    split by the target's segment or product, keeps its row: metric_status
    says why and its actual is null. A measured target of a period that has
    not started has actual 0. The staging model holds the target key
    (metric, segment, product, period) unique, so it is the row's id.
-#}
with targets as (select * from {{ ref('stg_crm__targets') }}),

metric_daily as (select * from {{ ref('int_org_metric_daily') }}),

metrics as (
    {{ org_metrics_relation() }}
),

classified_targets as (
    select
        targets.metric
        || '|' || coalesce(targets.segment, '*')
        || '|' || coalesce(targets.product_id, '*')
        || '|' || cast(targets.period_start as {{ dbt.type_string() }})
        || '|' || cast(targets.period_end as {{ dbt.type_string() }}) as target_id,
        targets.metric,
        targets.segment,
        targets.product_id,
        targets.period_start,
        targets.period_end,
        targets.target_value,
        case
            when metrics.metric is null then 'unknown_metric'
            when targets.segment is not null and not metrics.supports_segment then 'segment_not_measurable'
            when targets.product_id is not null and not metrics.supports_product then 'product_not_measurable'
            when targets.period_end < targets.period_start then 'invalid_period'
            else 'measured'
        end as metric_status
    from targets
    left join metrics
        on targets.metric = metrics.metric
),

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

-- An invalid period has no elapsed days.
elapsed as (
    select
        target_id,
        {{ period_elapsed('period_start', 'period_end') }}
    from classified_targets
    where metric_status <> 'invalid_period'
),

measured as (
    select
        classified_targets.target_id,
        classified_targets.metric,
        classified_targets.segment,
        classified_targets.product_id,
        classified_targets.period_start,
        classified_targets.period_end,
        classified_targets.metric_status,
        cast(classified_targets.target_value as {{ type_amount() }}) as target_value,
        cast(
            case when classified_targets.metric_status = 'measured' then coalesce(actuals.actual_value, 0) end
            as {{ type_amount() }}
        ) as actual_value,
        elapsed.days_in_period,
        elapsed.days_elapsed,
        elapsed.pct_period_elapsed
    from classified_targets
    left join actuals
        on classified_targets.target_id = actuals.target_id
    left join elapsed
        on classified_targets.target_id = elapsed.target_id
),

final as (
    select
        target_id,
        metric,
        segment,
        product_id,
        period_start,
        period_end,
        metric_status,
        target_value,
        actual_value,
        {{ ratio('actual_value', 'target_value') }} as attainment,
        cast(target_value - actual_value as {{ type_amount() }}) as gap,
        days_in_period,
        days_elapsed,
        pct_period_elapsed,
        {{ ratio(ratio('actual_value', 'target_value'), 'pct_period_elapsed') }} as pace,
        case
            when period_end < {{ as_of_date() }} then period_end
            else {{ as_of_date() }}
        end as measured_through,
        period_end <= {{ as_of_date() }} as is_complete
    from measured
)

select * from final
