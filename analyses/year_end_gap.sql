{#-
    "At the current trend we will miss the year-end target: by how much, and
    what would close the gap?" The company targets of the fiscal year (and
    quarter) containing the as-of date: where we are, where the trend and
    the weighted pipeline land, the gap, and the stage-1 pipeline that would
    close it at the historical stage-1-to-won rate. With the backtest's mean
    absolute percentage error of each method beside it, so the reader knows
    how far to trust each forecast. Compile with `dbt compile --select
    year_end_gap` and run the SQL in target/compiled.
-#}
with forecast as (
    select * from {{ ref('kpi_forecast') }}
    where segment is null
),

backtest as (
    select * from {{ ref('kpi_forecast_backtest') }}
    where
        is_outcome_known
        and remaining_months > 0
),

accuracy as (
    select
        period_grain,
        metric,
        count(*) as backtested_forecasts,
        avg(run_rate_abs_pct_error) as run_rate_mape,
        avg(pipeline_abs_pct_error) as pipeline_mape
    from backtest
    group by
        period_grain,
        metric
)

select
    forecast.period_grain,
    forecast.period_start,
    forecast.period_end,
    forecast.metric,
    forecast.pct_period_elapsed,
    forecast.target_value,
    forecast.actual_to_date,
    forecast.run_rate_forecast,
    forecast.forecast_gap,
    forecast.pipeline_forecast,
    forecast.pipeline_forecast_gap,
    forecast.stage1_to_won_rate,
    forecast.pipeline_needed,
    accuracy.backtested_forecasts,
    accuracy.run_rate_mape,
    accuracy.pipeline_mape
from forecast
left join accuracy
    on
        forecast.period_grain = accuracy.period_grain
        and forecast.metric = accuracy.metric
order by
    forecast.period_grain desc,
    forecast.metric
