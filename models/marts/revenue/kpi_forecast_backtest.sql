{#-
    One row per forecast date (every month end of the trailing var
    forecast_backtest_months: int_forecast_snapshots, point in time), fiscal
    quarter or year containing it and forecastable metric, at company level,
    beside the actual outcome of the period (int_org_metric_daily) once it
    has ended by the as-of date, the company target of the period, and the
    errors.
    What each column means: the doc blocks of its yml.
-#}
with snapshots as (
    select * from {{ ref('int_forecast_snapshots') }}
    where
        not is_as_of
        and segment is null
),

metric_daily as (
    select * from {{ ref('int_org_metric_daily') }}
    where applies_to_company
),

attainment as (
    select * from {{ ref('kpi_org_attainment') }}
    where
        segment is null
        and product_id is null
        and metric_status = 'measured'
),

periods as (
    select * from {{ ref('dim_periods') }}
    where period_grain in ('quarter', 'year')
),

outcomes as (
    select
        periods.period_grain,
        periods.period_start,
        metric_daily.metric,
        sum(metric_daily.metric_value) as actual_outcome
    from periods
    inner join metric_daily
        on {{ in_period('metric_daily.metric_date', 'periods.period_start', 'periods.period_end') }}
    where periods.period_end <= {{ as_of_date() }}
    group by
        periods.period_grain,
        periods.period_start,
        metric_daily.metric
),

-- One company target per period and metric (the first, when duplicated).
targets as (
    select
        period_start,
        period_end,
        metric,
        min(target_value) as target_value
    from attainment
    group by
        period_start,
        period_end,
        metric
),

joined as (
    select
        snapshots.forecast_date,
        snapshots.period_grain,
        snapshots.period_start,
        snapshots.period_end,
        snapshots.metric,
        snapshots.remaining_months,
        snapshots.actual_to_date,
        snapshots.run_rate_forecast,
        snapshots.pipeline_forecast,
        targets.target_value,
        snapshots.period_end <= {{ as_of_date() }} as is_outcome_known,
        case
            when snapshots.period_end <= {{ as_of_date() }} then coalesce(outcomes.actual_outcome, 0)
        end as actual_outcome
    from snapshots
    left join outcomes
        on
            snapshots.period_grain = outcomes.period_grain
            and snapshots.period_start = outcomes.period_start
            and snapshots.metric = outcomes.metric
    left join targets
        on
            snapshots.period_start = targets.period_start
            and snapshots.period_end = targets.period_end
            and snapshots.metric = targets.metric
),

final as (
    select
        forecast_date,
        period_grain,
        period_start,
        period_end,
        metric,
        remaining_months,
        actual_to_date,
        run_rate_forecast,
        pipeline_forecast,
        cast(target_value as {{ type_money() }}) as target_value,
        is_outcome_known,
        cast(actual_outcome as {{ type_money() }}) as actual_outcome,
        cast(abs(actual_outcome) as {{ type_money() }}) as abs_actual_outcome,
        cast(run_rate_forecast - actual_outcome as {{ type_money() }}) as run_rate_error,
        cast(abs(run_rate_forecast - actual_outcome) as {{ type_money() }}) as run_rate_abs_error,
        {{ ratio('abs(run_rate_forecast - actual_outcome)', 'abs(actual_outcome)') }} as run_rate_abs_pct_error,
        cast(pipeline_forecast - actual_outcome as {{ type_money() }}) as pipeline_error,
        cast(abs(pipeline_forecast - actual_outcome) as {{ type_money() }}) as pipeline_abs_error,
        {{ ratio('abs(pipeline_forecast - actual_outcome)', 'abs(actual_outcome)') }} as pipeline_abs_pct_error
    from joined
)

select * from final
