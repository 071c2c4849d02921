{#-
    The terms of the forward view per period, window and level (company,
    team, manager, rep: owner_levels): the current window is the period as of
    the as-of date, the prior window the previous period of its grain as of
    its prior date (int_forward_periods). kpi_forecast_categories reads the
    current windows, kpi_pipeline_coverage both. Summed per owner (deal owner
    or quota holder) first:
    - closed_won_arr: won bookings-type deals closed from the window start to
      min(window end, T);
    - commit_arr, best_case_arr, pipeline_arr: bookings-type deals open at T
      (int_opportunity_snapshots) with an expected close date in the window,
      by the forecast category of their stage at T;
    - open_pipeline_arr: the same deals in a stage numbered 1 or more with an
      expected close date from max(window start, T + 1) to the window end;
      weighted_pipeline_arr weighs each by the win rate of its stage at T
      (stage_win_rate_terms, over the bookings types: bookings_arr's rate in
      kpi_forecast); a stage without closed deals weighs 0;
    - quota_arr: the owner's quota rows, each pro rata by the days it shares
      with the window (a row inside the window counts whole), in cents.
    Deals without an expected close date at T are in none of these.
    Then by level, with quota_or_target: the sum of the quotas, except for
    the company when a company-level target (no segment, no product) of
    metric bookings_arr, else new_business_arr, is set on exactly the
    window's period.
-#}
{%- set terms = ['closed_won_arr', 'commit_arr', 'best_case_arr', 'pipeline_arr', 'open_pipeline_arr', 'weighted_pipeline_arr', 'quota_arr'] -%}
{%- set keys = ['period_name', 'window_name', 'owner_id'] -%}

with periods as (select * from {{ ref('int_forward_periods') }}),

opportunities as (
    select * from {{ ref('fct_opportunities') }}
    where is_bookings_type
),

snapshots as (
    select * from {{ ref('int_opportunity_snapshots') }}
    where is_bookings_type
),

quotas as (select * from {{ ref('stg_crm__quotas') }}),

targets as (
    select * from {{ ref('stg_crm__targets') }}
    where
        segment is null
        and product_id is null
        and metric in ('bookings_arr', 'new_business_arr')
),

windows as (
    select
        period_name,
        'current' as window_name,
        period_start as window_start,
        period_end as window_end,
        as_of_date as snapshot_date
    from periods
    union all
    select
        period_name,
        'prior' as window_name,
        prior_period_start as window_start,
        prior_period_end as window_end,
        prior_as_of_date as snapshot_date
    from periods
),

dated as (
    select distinct
        snapshot_date as forecast_date,
        cast({{ dbt.dateadd('day', 1, 'snapshot_date') }} as date) as day_after
    from windows
),

stage_outcomes as (
    {{ stage_win_rate_terms('dated', 'opportunities') }}
),

stage_rates as (
    select
        forecast_date as snapshot_date,
        stage_number,
        {{ ratio('sum(won_arr)', 'sum(closed_arr)') }} as win_rate
    from stage_outcomes
    group by
        forecast_date,
        stage_number
),

closed_won as (
    select
        windows.period_name,
        windows.window_name,
        opportunities.owner_id,
        sum(opportunities.arr_amount) as closed_won_arr
    from windows
    inner join opportunities
        on
            opportunities.is_won
            and {{ in_period('opportunities.close_date', 'windows.window_start', 'least(windows.window_end, windows.snapshot_date)') }}
    group by
        windows.period_name,
        windows.window_name,
        opportunities.owner_id
),

window_deals as (
    select
        windows.period_name,
        windows.window_name,
        snapshots.owner_id,
        snapshots.forecast_category,
        snapshots.arr_amount,
        coalesce(snapshots.stage_number >= 1, false)
        and snapshots.expected_close_date > windows.snapshot_date as is_open_pipeline,
        coalesce(stage_rates.win_rate, 0) as win_rate
    from windows
    inner join snapshots
        on
            windows.snapshot_date = snapshots.snapshot_date
            and {{ in_period('snapshots.expected_close_date', 'windows.window_start', 'windows.window_end') }}
    left join stage_rates
        on
            snapshots.snapshot_date = stage_rates.snapshot_date
            and snapshots.stage_number = stage_rates.stage_number
),

deal_terms as (
    select
        period_name,
        window_name,
        owner_id,
        sum(case when forecast_category = 'commit' then arr_amount else 0 end) as commit_arr,
        sum(case when forecast_category = 'best_case' then arr_amount else 0 end) as best_case_arr,
        sum(case when forecast_category = 'pipeline' then arr_amount else 0 end) as pipeline_arr,
        sum(case when is_open_pipeline then arr_amount else 0 end) as open_pipeline_arr,
        sum(case when is_open_pipeline then arr_amount * win_rate else 0 end) as weighted_pipeline_arr
    from window_deals
    group by
        period_name,
        window_name,
        owner_id
),

quota_shares as (
    select
        windows.period_name,
        windows.window_name,
        quotas.user_id as owner_id,
        {{ money_divide(
            'quotas.quota_amount * (' ~ dbt.datediff('greatest(quotas.period_start, windows.window_start)', 'least(quotas.period_end, windows.window_end)', 'day') ~ ' + 1)',
            dbt.datediff('quotas.period_start', 'quotas.period_end', 'day') ~ ' + 1'
        ) }} as quota_arr
    from windows
    inner join quotas
        on
            windows.window_end >= quotas.period_start
            and windows.window_start <= quotas.period_end
            and quotas.period_end >= quotas.period_start
),

quota_terms as (
    select
        period_name,
        window_name,
        owner_id,
        sum(quota_arr) as quota_arr
    from quota_shares
    group by
        period_name,
        window_name,
        owner_id
),

-- Every window gets a company row, also with nothing in it.
window_rows as (
    select
        period_name,
        window_name,
        cast(null as {{ dbt.type_string() }}) as owner_id
    from windows
),

components as (
    {{ union_measures({
        'closed_won': ['closed_won_arr'],
        'deal_terms': ['commit_arr', 'best_case_arr', 'pipeline_arr', 'open_pipeline_arr', 'weighted_pipeline_arr'],
        'quota_terms': ['quota_arr'],
        'window_rows': [],
    }, keys, terms) }}
),

by_owner as (
    select
        period_name,
        window_name,
        owner_id,
        {{ sum_columns(terms) | join(",\n        ") }}
    from components
    group by
        period_name,
        window_name,
        owner_id
),

leveled as (
    {{ owner_levels('by_owner') }}
),

by_level as (
    select
        period_name,
        window_name,
        level,
        level_key,
        {{ sum_columns(terms) | join(",\n        ") }}
    from leveled
    group by
        period_name,
        window_name,
        level,
        level_key
),

company_targets as (
    select
        windows.period_name,
        windows.window_name,
        max(case when targets.metric = 'bookings_arr' then targets.target_value end) as bookings_target,
        max(case when targets.metric = 'new_business_arr' then targets.target_value end) as new_business_target
    from windows
    inner join targets
        on
            windows.window_start = targets.period_start
            and windows.window_end = targets.period_end
    group by
        windows.period_name,
        windows.window_name
),

final as (
    select
        by_level.period_name,
        by_level.window_name,
        windows.window_start,
        windows.window_end,
        windows.snapshot_date,
        by_level.level,
        by_level.level_key,
        {{ level_name('by_level') }} as level_name,
        {%- for term in terms %}
            cast(by_level.{{ term }} as {{ type_money() }}) as {{ term }},
        {%- endfor %}
        cast(
            case
                when by_level.level = 'company'
                    then coalesce(company_targets.bookings_target, company_targets.new_business_target, by_level.quota_arr)
                else by_level.quota_arr
            end
            as {{ type_money() }}
        ) as quota_or_target,
        case
            when by_level.level = 'company' and company_targets.bookings_target is not null then 'bookings_arr_target'
            when by_level.level = 'company' and company_targets.new_business_target is not null then 'new_business_arr_target'
            else 'quotas'
        end as quota_or_target_source
    from by_level
    inner join windows
        on {{ same_keys('by_level', 'windows', ['period_name', 'window_name']) }}
    left join company_targets
        on {{ same_keys('by_level', 'company_targets', ['period_name', 'window_name']) }}
    {{ level_users_join('by_level') }}
)

select * from final
