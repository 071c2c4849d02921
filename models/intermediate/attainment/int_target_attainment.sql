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

    The pace of the previous period: the target of the same metric, segment
    and product set on the previous period of the same grain (a calendar
    month, fiscal quarter or fiscal year of dim_periods ending the day before;
    for a period of its own, one as long ending the day before), measured the
    same way over its first days_elapsed days.
-#}
with targets as (select * from {{ ref('stg_crm__targets') }}),

metric_daily as (select * from {{ ref('int_org_metric_daily') }}),

periods as (
    select * from {{ ref('dim_periods') }}
    where period_grain in ('month', 'quarter', 'year')
),

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
        coalesce(periods.period_grain, 'custom') as target_period_grain,
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
    left join periods
        on
            targets.period_start = periods.period_start
            and targets.period_end = periods.period_end
),

-- An invalid period has no elapsed days.
elapsed as (
    select
        target_id,
        {{ period_elapsed('period_start', 'period_end') }}
    from classified_targets
    where metric_status <> 'invalid_period'
),

-- The previous period's target, measured over as many of its first days as
-- this period has elapsed.
prior_targets as (
    select
        classified_targets.target_id,
        prior_targets.period_start as prior_period_start,
        prior_targets.period_end as prior_period_end,
        prior_targets.target_value as prior_period_target_value,
        cast({{ dbt.dateadd('day', 'elapsed.days_elapsed - 1', 'prior_targets.period_start') }} as date) as prior_measured_through
    from classified_targets
    inner join elapsed
        on classified_targets.target_id = elapsed.target_id
    inner join classified_targets as prior_targets
        on
            classified_targets.metric = prior_targets.metric
            and coalesce(classified_targets.segment, '*') = coalesce(prior_targets.segment, '*')
            and coalesce(classified_targets.product_id, '*') = coalesce(prior_targets.product_id, '*')
            and classified_targets.target_period_grain = prior_targets.target_period_grain
            and cast({{ dbt.dateadd('day', -1, 'classified_targets.period_start') }} as date) = prior_targets.period_end
            and (
                classified_targets.target_period_grain <> 'custom'
                or {{ dbt.datediff('classified_targets.period_start', 'classified_targets.period_end', 'day') }}
                = {{ dbt.datediff('prior_targets.period_start', 'prior_targets.period_end', 'day') }}
            )
    where
        classified_targets.metric_status = 'measured'
        and prior_targets.metric_status = 'measured'
),

-- What is measured: each target's period up to the as-of date, and its
-- previous period's first days_elapsed days.
windows as (
    select
        target_id,
        'current' as window_name,
        metric,
        segment,
        product_id,
        period_start as window_start,
        period_end as window_end
    from classified_targets
    where metric_status = 'measured'
    union all
    select
        prior_targets.target_id,
        'prior' as window_name,
        classified_targets.metric,
        classified_targets.segment,
        classified_targets.product_id,
        prior_targets.prior_period_start as window_start,
        least(prior_targets.prior_period_end, prior_targets.prior_measured_through) as window_end
    from prior_targets
    inner join classified_targets
        on prior_targets.target_id = classified_targets.target_id
),

window_actuals as (
    select
        windows.target_id,
        windows.window_name,
        sum(metric_daily.metric_value) as metric_value
    from windows
    inner join metric_daily
        on
            windows.metric = metric_daily.metric
            and {{ in_period('metric_daily.metric_date', 'windows.window_start', 'windows.window_end') }}
            and metric_daily.metric_date <= {{ as_of_date() }}
            and (windows.segment is null or windows.segment = metric_daily.segment)
            and (
                (windows.product_id is null and metric_daily.applies_to_company)
                or (windows.product_id = metric_daily.product_id and metric_daily.applies_to_product)
            )
    group by
        windows.target_id,
        windows.window_name
),

actuals as (
    select
        target_id,
        sum(case when window_name = 'current' then metric_value end) as actual_value,
        sum(case when window_name = 'prior' then metric_value end) as prior_period_actual_to_date
    from window_actuals
    group by target_id
),

measured as (
    select
        classified_targets.target_id,
        classified_targets.metric,
        classified_targets.segment,
        classified_targets.product_id,
        classified_targets.period_start,
        classified_targets.period_end,
        classified_targets.target_period_grain,
        classified_targets.metric_status,
        cast(classified_targets.target_value as {{ type_amount() }}) as target_value,
        cast(
            case when classified_targets.metric_status = 'measured' then coalesce(actuals.actual_value, 0) end
            as {{ type_amount() }}
        ) as actual_value,
        prior_targets.prior_period_start,
        prior_targets.prior_period_end,
        cast(prior_targets.prior_period_target_value as {{ type_amount() }}) as prior_period_target_value,
        cast(
            case when prior_targets.target_id is not null then coalesce(actuals.prior_period_actual_to_date, 0) end
            as {{ type_amount() }}
        ) as prior_period_actual_to_date,
        elapsed.days_in_period,
        elapsed.days_elapsed,
        elapsed.pct_period_elapsed
    from classified_targets
    left join actuals
        on classified_targets.target_id = actuals.target_id
    left join elapsed
        on classified_targets.target_id = elapsed.target_id
    left join prior_targets
        on classified_targets.target_id = prior_targets.target_id
),

final as (
    select
        target_id,
        metric,
        segment,
        product_id,
        period_start,
        period_end,
        target_period_grain,
        metric_status,
        target_value,
        actual_value,
        {{ ratio('actual_value', 'target_value') }} as attainment,
        prior_period_start,
        prior_period_end,
        prior_period_target_value,
        prior_period_actual_to_date,
        {{ ratio('prior_period_actual_to_date', 'prior_period_target_value') }} as prior_period_attainment_to_date,
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
