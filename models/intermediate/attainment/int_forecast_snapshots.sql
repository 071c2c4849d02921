{#-
    The inputs of the forecasts, computed point-in-time for each forecast
    date: the as-of date itself (kpi_forecast) and every month end of the
    trailing var forecast_backtest_months before it (kpi_forecast_backtest).
    For each forecast date T, each fiscal quarter and fiscal year containing
    T, each forecastable metric and segment (and the company, segment null):
    - actual_to_date: the metric from the period start to T;
    - trailing_3m_monthly_avg: the metric over the three complete months
      ending at the last month end on or before T, divided by 3;
    - remaining_months: the part of the period not measured yet at T: the
      whole months after T's month plus the unelapsed share of T's month (as
      of Oct 15, a quarter ending Dec 31 has 2 + 16/31 months left). The
      same for month-end metrics (net_new_arr, expansion_arr): T's month is
      measured to date (its movement up to T is in actual_to_date);
    - open_pipeline_arr / weighted_pipeline_arr: opportunities of the metric's
      pipeline types created by T and with close_date in (T, period end],
      weighted by the historical win rate (by amount) of their stage at T,
      measured over the deals closed in the var forecast_win_rate_window_months
      months up to T that had reached that stage;
    - stage1_won_arr / stage1_closed_arr: the stage-1-to-won rate's terms.
    Point in time: stages from the stage history entered by T, closes with a
    close date by T. The raw data keeps no history of expected close dates or
    amounts, so a deal's final close date and amount stand for what was
    expected at T (docs/spec/kpi_definitions.md, kpi_forecast).
-#}
{#- The additive terms of a forecast, summed by segment and to the company. -#}
{%- set forecast_terms = ['actual_to_date', 'trailing_3m_value', 'open_pipeline_arr', 'weighted_pipeline_arr'] -%}
with opportunities as (
    select * from {{ ref('fct_opportunities') }}
    where is_bookings_type
),

stage_entries as (select * from {{ ref('int_opportunity_stage_entries') }}),

metric_daily as (
    select * from {{ ref('int_org_metric_daily') }}
    where applies_to_company
),

periods as (select * from {{ ref('dim_periods') }}),

metrics as (
    {{ org_metrics_relation() }}
),

metric_pipeline_types as (
    {{ org_metric_pipeline_types_relation() }}
),

forecastable_metrics as (
    select
        metric,
        measured_at
    from metrics
    where is_forecastable
),

-- The daily series of the forecastable metrics.
forecastable_daily as (
    select metric_daily.*
    from metric_daily
    inner join forecastable_metrics
        on metric_daily.metric = forecastable_metrics.metric
),

forecast_dates as (
    select
        {{ as_of_date() }} as forecast_date,
        true as is_as_of
    union all
    select
        period_end as forecast_date,
        false as is_as_of
    from periods
    where
        period_grain = 'month'
        and period_end < {{ as_of_date() }}
        and period_start >= cast({{ dbt.dateadd('month', -1 * var('forecast_backtest_months', 24), dbt.date_trunc('month', as_of_date())) }} as date)
),

dated as (
    select
        forecast_date,
        is_as_of,
        cast({{ dbt.dateadd('day', -1, dbt.date_trunc('month', dbt.dateadd('day', 1, 'forecast_date'))) }} as date) as last_month_end,
        cast({{ dbt.date_trunc('month', 'forecast_date') }} as date) as forecast_month_start,
        cast({{ dbt.dateadd('day', 1, 'forecast_date') }} as date) as day_after
    from forecast_dates
),

forecast_periods as (
    select
        dated.forecast_date,
        dated.is_as_of,
        dated.last_month_end,
        dated.forecast_month_start,
        periods.period_grain,
        periods.period_start,
        periods.period_end
    from dated
    inner join periods
        on
            periods.period_grain in ('quarter', 'year')
            and {{ in_period('dated.forecast_date', 'periods.period_start', 'periods.period_end') }}
),

actual_to_date as (
    select
        forecast_periods.forecast_date,
        forecast_periods.period_grain,
        forecast_periods.period_start,
        metric_daily.metric,
        metric_daily.segment,
        sum(metric_daily.metric_value) as actual_to_date
    from forecast_periods
    inner join forecastable_daily as metric_daily
        on {{ in_period('metric_daily.metric_date', 'forecast_periods.period_start', 'forecast_periods.forecast_date') }}
    group by
        forecast_periods.forecast_date,
        forecast_periods.period_grain,
        forecast_periods.period_start,
        metric_daily.metric,
        metric_daily.segment
),

trailing_by_date as (
    select
        dated.forecast_date,
        metric_daily.metric,
        metric_daily.segment,
        sum(metric_daily.metric_value) as trailing_3m_value
    from dated
    inner join forecastable_daily as metric_daily
        on
            metric_daily.metric_date >= cast({{ dbt.dateadd('month', -2, dbt.date_trunc('month', 'dated.last_month_end')) }} as date)
            and dated.last_month_end >= metric_daily.metric_date
    group by
        dated.forecast_date,
        metric_daily.metric,
        metric_daily.segment
),

trailing_by_period as (
    select
        forecast_periods.forecast_date,
        forecast_periods.period_grain,
        forecast_periods.period_start,
        trailing_by_date.metric,
        trailing_by_date.segment,
        trailing_by_date.trailing_3m_value
    from forecast_periods
    inner join trailing_by_date
        on forecast_periods.forecast_date = trailing_by_date.forecast_date
),

-- Open at T and expected to close in the rest of the period: created by T,
-- close date after T and by the period end (a deal that closed by T has a
-- close date on or before T).
open_pipeline as (
    select
        forecast_periods.forecast_date,
        forecast_periods.period_grain,
        forecast_periods.period_start,
        opportunities.opportunity_id,
        opportunities.opportunity_type,
        opportunities.segment,
        opportunities.arr_amount
    from forecast_periods
    inner join opportunities
        on
            forecast_periods.forecast_date >= opportunities.created_on
            and forecast_periods.forecast_date < opportunities.close_date
            and forecast_periods.period_end >= opportunities.close_date
),

open_opportunities as (
    select distinct
        forecast_date,
        opportunity_id
    from open_pipeline
),

-- The stage an open deal was in at T: its latest stage entry by T.
stage_at_date as (
    {{ latest_stage_entries('stage_entries', 'open_opportunities', 'forecast_date') }}
),

-- Deals closed in the trailing window up to T, by the stages they had reached by T.
stage_outcomes as (
    {{ stage_win_rate_terms('dated', 'opportunities') }}
),

metric_stage_rates as (
    select
        stage_outcomes.forecast_date,
        metric_pipeline_types.metric,
        stage_outcomes.stage_number,
        sum(stage_outcomes.won_arr) as won_arr,
        sum(stage_outcomes.closed_arr) as closed_arr
    from stage_outcomes
    inner join metric_pipeline_types
        on stage_outcomes.opportunity_type = metric_pipeline_types.opportunity_type
    group by
        stage_outcomes.forecast_date,
        metric_pipeline_types.metric,
        stage_outcomes.stage_number
),

-- A deal whose stage at T has no number (a lost stage) or that had no stage
-- entry by T is weighted 0.
weighted_pipeline as (
    select
        open_pipeline.forecast_date,
        open_pipeline.period_grain,
        open_pipeline.period_start,
        metric_pipeline_types.metric,
        open_pipeline.segment,
        sum(open_pipeline.arr_amount) as open_pipeline_arr,
        sum(
            open_pipeline.arr_amount
            * coalesce({{ ratio('metric_stage_rates.won_arr', 'metric_stage_rates.closed_arr') }}, 0)
        ) as weighted_pipeline_arr
    from open_pipeline
    inner join metric_pipeline_types
        on open_pipeline.opportunity_type = metric_pipeline_types.opportunity_type
    inner join forecastable_metrics
        on metric_pipeline_types.metric = forecastable_metrics.metric
    left join stage_at_date
        on
            open_pipeline.forecast_date = stage_at_date.forecast_date
            and open_pipeline.opportunity_id = stage_at_date.opportunity_id
    left join metric_stage_rates
        on
            open_pipeline.forecast_date = metric_stage_rates.forecast_date
            and metric_pipeline_types.metric = metric_stage_rates.metric
            and stage_at_date.stage_number = metric_stage_rates.stage_number
    group by
        open_pipeline.forecast_date,
        open_pipeline.period_grain,
        open_pipeline.period_start,
        metric_pipeline_types.metric,
        open_pipeline.segment
),

components as (
    {{ union_measures({
        'actual_to_date': ['actual_to_date'],
        'trailing_by_period': ['trailing_3m_value'],
        'weighted_pipeline': ['open_pipeline_arr', 'weighted_pipeline_arr'],
    }, ['forecast_date', 'period_grain', 'period_start', 'metric', 'segment'], forecast_terms) }}
),

by_segment as (
    select
        forecast_date,
        period_grain,
        period_start,
        metric,
        segment,
        {{ sum_columns(forecast_terms) | join(",\n        ") }}
    from components
    group by
        forecast_date,
        period_grain,
        period_start,
        metric,
        segment
),

-- The company (segment null) is the sum of the segments (every term is
-- additive), with a row for every forecast date, period and metric.
with_company as (
    select * from by_segment
    union all
    select
        forecast_periods.forecast_date,
        forecast_periods.period_grain,
        forecast_periods.period_start,
        forecastable_metrics.metric,
        cast(null as {{ dbt.type_string() }}) as segment,
        {%- for term in forecast_terms %}
            coalesce(sum(by_segment.{{ term }}), 0) as {{ term }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from forecast_periods
    cross join forecastable_metrics
    left join by_segment
        on
            {{ same_keys('forecast_periods', 'by_segment', ['forecast_date', 'period_grain', 'period_start']) }}
            and forecastable_metrics.metric = by_segment.metric
    group by
        forecast_periods.forecast_date,
        forecast_periods.period_grain,
        forecast_periods.period_start,
        forecastable_metrics.metric
),

final as (
    select
        with_company.forecast_date,
        forecast_periods.is_as_of,
        with_company.period_grain,
        with_company.period_start,
        forecast_periods.period_end,
        with_company.metric,
        with_company.segment,
        forecastable_metrics.measured_at,
        cast(with_company.actual_to_date as {{ type_money() }}) as actual_to_date,
        cast(with_company.trailing_3m_value as {{ type_money() }}) as trailing_3m_value,
        -- An explicit decimal type: engines give the quotient different types
        -- and scales (DuckDB a double, PostgreSQL an unconstrained numeric).
        cast(cast(with_company.trailing_3m_value as {{ type_amount() }}) / 3 as {{ type_amount() }}) as trailing_3m_monthly_avg,
        cast(
            {{ dbt.datediff('forecast_periods.last_month_end', 'forecast_periods.period_end', 'month') }}
            - case
                when forecast_periods.forecast_date = forecast_periods.last_month_end then 0
                else
                    cast({{ dbt.datediff('forecast_periods.forecast_month_start', 'forecast_periods.forecast_date', 'day') }} + 1 as {{ type_amount() }})
                    / ({{ dbt.datediff('forecast_periods.forecast_month_start', dbt.dateadd('month', 1, 'forecast_periods.forecast_month_start'), 'day') }})
            end
            as {{ type_amount() }}
        ) as remaining_months,
        cast(with_company.open_pipeline_arr as {{ type_money() }}) as open_pipeline_arr,
        cast(with_company.weighted_pipeline_arr as {{ type_money() }}) as weighted_pipeline_arr,
        cast(coalesce(stage1_rates.won_arr, 0) as {{ type_money() }}) as stage1_won_arr,
        cast(coalesce(stage1_rates.closed_arr, 0) as {{ type_money() }}) as stage1_closed_arr
    from with_company
    inner join forecast_periods
        on {{ same_keys('with_company', 'forecast_periods', ['forecast_date', 'period_grain', 'period_start']) }}
    inner join forecastable_metrics
        on with_company.metric = forecastable_metrics.metric
    left join metric_stage_rates as stage1_rates
        on
            with_company.forecast_date = stage1_rates.forecast_date
            and with_company.metric = stage1_rates.metric
            and stage1_rates.stage_number = 1
)

select
    *,
    {{ ratio('stage1_won_arr', 'stage1_closed_arr') }} as stage1_to_won_rate,
    cast(actual_to_date + trailing_3m_monthly_avg * remaining_months as {{ type_money() }}) as run_rate_forecast,
    cast(actual_to_date + weighted_pipeline_arr as {{ type_money() }}) as pipeline_forecast
from final
