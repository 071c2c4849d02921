{#-
    Pipeline coverage of the forward view's periods (this fiscal quarter, the
    next, this fiscal year) at company, team, manager and rep level, beside
    the same figures for the previous period of each grain as seen the same
    number of days into it (int_forward_view's current and prior windows,
    side by side; a level with rows in one window only is 0 in the other).
    What each column means: the doc blocks of its yml.
-#}
with forward_view as (select * from {{ ref('int_forward_view') }}),

periods as (select * from {{ ref('int_forward_periods') }}),

sides as (
    select
        period_name,
        level,
        level_key,
        max(level_name) as level_name,
        sum(case when window_name = 'current' then closed_won_arr else 0 end) as closed_won_arr,
        sum(case when window_name = 'current' then quota_or_target else 0 end) as quota_or_target,
        sum(case when window_name = 'current' then open_pipeline_arr else 0 end) as open_pipeline_arr,
        sum(case when window_name = 'current' then weighted_pipeline_arr else 0 end) as weighted_pipeline_arr,
        sum(case when window_name = 'prior' then closed_won_arr else 0 end) as prior_closed_won_arr,
        sum(case when window_name = 'prior' then quota_or_target else 0 end) as prior_quota_or_target,
        sum(case when window_name = 'prior' then open_pipeline_arr else 0 end) as prior_open_pipeline_arr,
        sum(case when window_name = 'prior' then weighted_pipeline_arr else 0 end) as prior_weighted_pipeline_arr
    from forward_view
    group by
        period_name,
        level,
        level_key
),

remaining as (
    select
        *,
        case when quota_or_target > closed_won_arr then quota_or_target - closed_won_arr else 0 end as remaining_target,
        case
            when prior_quota_or_target > prior_closed_won_arr then prior_quota_or_target - prior_closed_won_arr else 0
        end as prior_remaining_target
    from sides
),

final as (
    select
        remaining.period_name,
        periods.period_grain,
        periods.period_start,
        periods.period_end,
        periods.fiscal_year,
        periods.fiscal_quarter,
        periods.as_of_date,
        remaining.level,
        remaining.level_key,
        remaining.level_name,
        cast(remaining.closed_won_arr as {{ type_money() }}) as closed_won_arr,
        cast(remaining.quota_or_target as {{ type_money() }}) as quota_or_target,
        cast(remaining.remaining_target as {{ type_money() }}) as remaining_target,
        cast(remaining.open_pipeline_arr as {{ type_money() }}) as open_pipeline_arr,
        cast(remaining.weighted_pipeline_arr as {{ type_money() }}) as weighted_pipeline_arr,
        {{ ratio('remaining.open_pipeline_arr', 'remaining.remaining_target') }} as coverage,
        {{ ratio('remaining.weighted_pipeline_arr', 'remaining.remaining_target') }} as weighted_coverage,
        periods.prior_period_start,
        periods.prior_period_end,
        periods.prior_as_of_date,
        cast(remaining.prior_closed_won_arr as {{ type_money() }}) as prior_closed_won_arr,
        cast(remaining.prior_quota_or_target as {{ type_money() }}) as prior_quota_or_target,
        cast(remaining.prior_remaining_target as {{ type_money() }}) as prior_remaining_target,
        cast(remaining.prior_open_pipeline_arr as {{ type_money() }}) as prior_open_pipeline_arr,
        cast(remaining.prior_weighted_pipeline_arr as {{ type_money() }}) as prior_weighted_pipeline_arr,
        {{ ratio('remaining.prior_open_pipeline_arr', 'remaining.prior_remaining_target') }} as prior_coverage,
        {{ ratio('remaining.prior_weighted_pipeline_arr', 'remaining.prior_remaining_target') }} as prior_weighted_coverage,
        periods.days_into_period
    from remaining
    inner join periods
        on remaining.period_name = periods.period_name
)

select * from final
