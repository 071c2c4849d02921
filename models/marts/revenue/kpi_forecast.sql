{#-
    One row per target of the fiscal quarter and fiscal year containing the
    as-of date (kpi_org_attainment's qtd and ytd rows: company or segment;
    product targets are left to the product-launch mart) whose metric the
    org_metrics catalogue calls forecastable. The forecast inputs are
    int_forecast_snapshots' row for the as-of date; this model adds the
    target and the gaps. The terms that do not depend on the segment
    (remaining months, the pooled stage-1 win rate) come from the company
    row, which exists for every period and metric: a segment with no deal
    and no ARR movement in the window has no row of its own.
    What each column means: the doc blocks of its yml.
-#}
with attainment as (select * from {{ ref('kpi_org_attainment') }}),

snapshots as (
    select * from {{ ref('int_forecast_snapshots') }}
    where is_as_of
),

metrics as (
    {{ org_metrics_relation() }}
),

current_targets as (
    select attainment.*
    from attainment
    inner join metrics
        on attainment.metric = metrics.metric
    where
        attainment.period_view in ('qtd', 'ytd')
        and attainment.product_id is null
        and attainment.metric_status = 'measured'
        and metrics.is_forecastable
),

joined as (
    select
        current_targets.target_id,
        case current_targets.period_view when 'qtd' then 'quarter' else 'year' end as period_grain,
        current_targets.period_start,
        current_targets.period_end,
        current_targets.metric,
        current_targets.segment,
        current_targets.days_in_period,
        current_targets.days_elapsed,
        current_targets.pct_period_elapsed,
        current_targets.target_value,
        -- coalesce() with 0 widens the money type on PostgreSQL (numeric of
        -- any scale): cast back, so every engine returns cents.
        cast(coalesce(snapshots.actual_to_date, 0) as {{ type_money() }}) as actual_to_date,
        cast(coalesce(snapshots.trailing_3m_value, 0) as {{ type_money() }}) as trailing_3m_value,
        coalesce(snapshots.trailing_3m_monthly_avg, 0) as trailing_3m_monthly_avg,
        company_snapshots.remaining_months,
        cast(coalesce(snapshots.run_rate_forecast, 0) as {{ type_money() }}) as run_rate_forecast,
        cast(coalesce(snapshots.open_pipeline_arr, 0) as {{ type_money() }}) as open_pipeline_arr,
        cast(coalesce(snapshots.weighted_pipeline_arr, 0) as {{ type_money() }}) as weighted_pipeline_arr,
        cast(coalesce(snapshots.pipeline_forecast, 0) as {{ type_money() }}) as pipeline_forecast,
        company_snapshots.stage1_won_arr,
        company_snapshots.stage1_closed_arr,
        company_snapshots.stage1_to_won_rate
    from current_targets
    left join snapshots
        on
            current_targets.period_start = snapshots.period_start
            and current_targets.metric = snapshots.metric
            and case current_targets.period_view when 'qtd' then 'quarter' else 'year' end = snapshots.period_grain
            and (
                current_targets.segment = snapshots.segment
                or (current_targets.segment is null and snapshots.segment is null)
            )
    left join snapshots as company_snapshots
        on
            current_targets.period_start = company_snapshots.period_start
            and current_targets.metric = company_snapshots.metric
            and case current_targets.period_view when 'qtd' then 'quarter' else 'year' end = company_snapshots.period_grain
            and company_snapshots.segment is null
),

final as (
    select
        target_id,
        {{ as_of_date() }} as forecast_date,
        period_grain,
        period_start,
        period_end,
        metric,
        segment,
        days_in_period,
        days_elapsed,
        pct_period_elapsed,
        cast(target_value as {{ type_money() }}) as target_value,
        actual_to_date,
        trailing_3m_value,
        cast(trailing_3m_monthly_avg as {{ type_money() }}) as trailing_3m_monthly_avg,
        remaining_months,
        run_rate_forecast,
        open_pipeline_arr,
        weighted_pipeline_arr,
        pipeline_forecast,
        cast(target_value - run_rate_forecast as {{ type_money() }}) as forecast_gap,
        cast(target_value - pipeline_forecast as {{ type_money() }}) as pipeline_forecast_gap,
        stage1_won_arr,
        stage1_closed_arr,
        stage1_to_won_rate,
        cast(
            {{ ratio('greatest(target_value - run_rate_forecast, 0)', 'stage1_to_won_rate') }} as {{ type_money() }}
        ) as pipeline_needed,
        cast(
            {{ ratio('greatest(target_value - pipeline_forecast, 0)', 'stage1_to_won_rate') }} as {{ type_money() }}
        ) as pipeline_needed_for_pipeline_gap
    from joined
)

select * from final
