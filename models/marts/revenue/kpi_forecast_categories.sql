{#-
    The forecast by category of the forward view's periods (this fiscal
    quarter, the next, this fiscal year) at company, team, manager and rep
    level: int_forward_view's current windows, with the commit and best-case
    forecasts and their attainment of the quota or target.
    What each column means: the doc blocks of its yml.
-#}
with forward_view as (
    select * from {{ ref('int_forward_view') }}
    where window_name = 'current'
),

periods as (select * from {{ ref('int_forward_periods') }}),

final as (
    select
        forward_view.period_name,
        periods.period_grain,
        periods.period_start,
        periods.period_end,
        periods.fiscal_year,
        periods.fiscal_quarter,
        periods.as_of_date,
        forward_view.level,
        forward_view.level_key,
        forward_view.level_name,
        forward_view.closed_won_arr,
        forward_view.commit_arr,
        forward_view.best_case_arr,
        forward_view.pipeline_arr,
        cast(forward_view.closed_won_arr + forward_view.commit_arr as {{ type_money() }}) as commit_forecast_arr,
        cast(
            forward_view.closed_won_arr + forward_view.commit_arr + forward_view.best_case_arr as {{ type_money() }}
        ) as best_case_forecast_arr,
        forward_view.quota_or_target,
        forward_view.quota_or_target_source,
        {{ ratio('forward_view.closed_won_arr + forward_view.commit_arr', 'forward_view.quota_or_target') }} as commit_attainment,
        {{ ratio('forward_view.closed_won_arr + forward_view.commit_arr + forward_view.best_case_arr', 'forward_view.quota_or_target') }} as best_case_attainment
    from forward_view
    inner join periods
        on forward_view.period_name = periods.period_name
)

select * from final
