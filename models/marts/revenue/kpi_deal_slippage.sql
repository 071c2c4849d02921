{#-
    Deal slippage per month at company, team, manager and rep level (the
    deal's owner: owner_levels), every opportunity type:
    - slips and pull-ins: the saved versions of int_opportunity_versions
      whose close date moved to another month, saved while the deal was open
      (not after its close date). A move to a later month is a slip out of
      the old month; to an earlier one a pull-in into the new month. A deal
      counts once per move, with its arr_amount as known at the as-of date
      (an open deal's latest version; a closed deal's own).
    - stale deals: at each month end (the as-of date for the as-of month),
      the deals open then whose expected close date then was before it;
      with close-date history for every month from the first one it covers
      to the as-of month, without it for the as-of month only.
    Without any close-date history the slip and pull-in columns are null.
    Deals without an expected close date are in none of them.
    What each column means: the doc blocks of its yml.
-#}
{%- set measures = ['slipped_deals', 'slipped_arr', 'pulled_in_deals', 'pulled_in_arr', 'stale_deals'] -%}
with opportunities as (select * from {{ ref('fct_opportunities') }}),

versions as (select * from {{ ref('int_opportunity_versions') }}),

periods as (
    select * from {{ ref('dim_periods') }}
    where period_grain = 'month'
),

history_span as (
    select
        count(*) > 0 as has_history,
        min(cast({{ dbt.date_trunc('month', 'valid_from') }} as date)) as first_history_month
    from versions
    where is_saved
),

-- The deal's arr_amount as known at the as-of date.
deal_amounts as (
    select
        opportunities.opportunity_id,
        opportunities.owner_id,
        opportunities.is_closed,
        opportunities.close_date,
        case when opportunities.is_open then versions.arr_amount else opportunities.arr_amount end as arr_amount
    from opportunities
    inner join versions
        on
            opportunities.opportunity_id = versions.opportunity_id
            and versions.valid_until is null
),

moves as (
    select
        deal_amounts.owner_id,
        deal_amounts.arr_amount,
        cast({{ dbt.date_trunc('month', 'versions.previous_close_date') }} as date) as from_month,
        cast({{ dbt.date_trunc('month', 'versions.close_date') }} as date) as to_month
    from versions
    inner join deal_amounts
        on versions.opportunity_id = deal_amounts.opportunity_id
    where
        versions.is_saved
        and versions.previous_close_date is not null
        and versions.close_date is not null
        and not (deal_amounts.is_closed and cast(versions.valid_from as date) > deal_amounts.close_date)
),

slips as (
    select
        from_month as month_start,
        owner_id,
        count(*) as slipped_deals,
        sum(arr_amount) as slipped_arr
    from moves
    where to_month > from_month
    group by
        from_month,
        owner_id
),

pull_ins as (
    select
        to_month as month_start,
        owner_id,
        count(*) as pulled_in_deals,
        sum(arr_amount) as pulled_in_arr
    from moves
    where to_month < from_month
    group by
        to_month,
        owner_id
),

-- The month ends stale deals are counted at.
stale_months as (
    select
        periods.period_start as month_start,
        case when periods.period_end > {{ as_of_date() }} then {{ as_of_date() }} else periods.period_end end as measured_through
    from periods
    cross join history_span
    where
        periods.period_start <= {{ as_of_date() }}
        and (
            periods.period_end >= {{ as_of_date() }}
            or (history_span.has_history and periods.period_start >= history_span.first_history_month)
        )
),

stale as (
    select
        stale_months.month_start,
        opportunities.owner_id,
        count(*) as stale_deals
    from stale_months
    inner join opportunities
        on
            stale_months.measured_through >= opportunities.created_on
            and not (opportunities.is_closed and stale_months.measured_through >= opportunities.close_date)
    inner join versions
        on
            opportunities.opportunity_id = versions.opportunity_id
            and versions.valid_from < cast({{ dbt.dateadd('day', 1, 'stale_months.measured_through') }} as {{ dbt.type_timestamp() }})
            and (
                versions.valid_until is null
                or versions.valid_until >= cast({{ dbt.dateadd('day', 1, 'stale_months.measured_through') }} as {{ dbt.type_timestamp() }})
            )
    where versions.close_date < stale_months.measured_through
    group by
        stale_months.month_start,
        opportunities.owner_id
),

-- Every measured month gets a company row, also with no stale deal.
month_rows as (
    select
        month_start,
        cast(null as {{ dbt.type_string() }}) as owner_id
    from stale_months
),

components as (
    {{ union_measures({
        'slips': ['slipped_deals', 'slipped_arr'],
        'pull_ins': ['pulled_in_deals', 'pulled_in_arr'],
        'stale': ['stale_deals'],
        'month_rows': [],
    }, ['month_start', 'owner_id'], measures) }}
),

by_owner as (
    select
        month_start,
        owner_id,
        {{ sum_columns(measures) | join(",\n        ") }}
    from components
    group by
        month_start,
        owner_id
),

leveled as (
    {{ owner_levels('by_owner') }}
),

by_level as (
    select
        month_start,
        level,
        level_key,
        {{ sum_columns(measures) | join(",\n        ") }}
    from leveled
    group by
        month_start,
        level,
        level_key
),

final as (
    select
        by_level.month_start,
        cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'by_level.month_start')) }} as date) as month_end,
        by_level.level,
        by_level.level_key,
        {{ level_name('by_level') }} as level_name,
        case when history_span.has_history then cast(by_level.slipped_deals as {{ dbt.type_bigint() }}) end as slipped_deals,
        case when history_span.has_history then cast(by_level.slipped_arr as {{ type_money() }}) end as slipped_arr,
        case when history_span.has_history then cast(by_level.pulled_in_deals as {{ dbt.type_bigint() }}) end as pulled_in_deals,
        case when history_span.has_history then cast(by_level.pulled_in_arr as {{ type_money() }}) end as pulled_in_arr,
        case when stale_months.month_start is not null then cast(by_level.stale_deals as {{ dbt.type_bigint() }}) end as stale_deals,
        stale_months.measured_through as stale_measured_on,
        history_span.has_history as has_close_date_history,
        by_level.month_start <= {{ as_of_date() }}
        and cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'by_level.month_start')) }} as date) <= {{ as_of_date() }} as is_complete
    from by_level
    cross join history_span
    left join stale_months
        on by_level.month_start = stale_months.month_start
    {{ level_users_join('by_level') }}
)

select * from final
