{#-
    One row per period grain (week, month, fiscal quarter, fiscal year),
    period start, CRM connection (source_relation) and segment that has
    closed new_business opportunities, new logos or ARR, at each level
    (company, and the owner's team, manager and the owner: owner_levels).
    Three aggregates are joined on those keys: the new_business
    opportunities closed in the period by close date, each counted at its
    levels before the aggregation (union_by_period_grain; medians need the
    deals); each account's first won opportunity of any type (new logos, at
    that opportunity's owner's levels); and ARR and paying accounts at the
    period end from int_account_arr_monthly (company rows only; month,
    quarter and year rows: the period's last month end, or the last one on or
    before the as-of date).
    What each column means: the doc blocks of its yml.
-#}
{#- A row's keys, and the aggregates that have rows on them. -#}
{%- set row_keys = ['period_grain', 'period_start', 'source_relation', 'level', 'level_key', 'segment'] -%}
{%- set parts = ['deals_by_period', 'new_logos_by_period', 'arr_by_period'] -%}
with opportunities as (select * from {{ ref('fct_opportunities') }}),

account_arr as (select * from {{ ref('int_account_arr_monthly') }}),

periods as (select * from {{ ref('dim_periods') }}),

closed_new_business as (
    select
        source_relation,
        owner_id,
        segment,
        close_date,
        is_won,
        arr_amount,
        sales_cycle_days
    from opportunities
    where
        opportunity_type = 'new_business'
        and is_closed
),

leveled_closed as (
    {{ owner_levels('closed_new_business') }}
),

deals_by_period as (
    {{ union_by_period_grain('leveled_closed', 'close_date', ['source_relation', 'level', 'level_key', 'segment'], [
        "sum(case when is_won then 1 else 0 end) as won_opportunities",
        "sum(case when is_won then 0 else 1 end) as lost_opportunities",
        "count(*) as closed_opportunities",
        "sum(case when is_won then arr_amount else 0 end) as won_arr",
        "sum(case when is_won then 0 else arr_amount end) as lost_arr",
        "sum(arr_amount) as closed_arr",
        "sum(sales_cycle_days) as total_sales_cycle_days",
        median('sales_cycle_days') ~ " as median_sales_cycle_days",
    ]) }}
),

-- The first won opportunity of any type of each account (the earliest close
-- date, then the smallest id), with its owner.
ranked_wins as (
    select
        account_id,
        source_relation,
        segment,
        owner_id,
        close_date as first_won_on,
        row_number() over (
            partition by account_id, source_relation, segment
            order by close_date, opportunity_id
        ) as win_rank
    from opportunities
    where
        is_won
        and account_id is not null
),

first_wins as (
    select * from ranked_wins
    where win_rank = 1
),

leveled_first_wins as (
    {{ owner_levels('first_wins') }}
),

new_logos_by_period as (
    {{ union_by_period_grain('leveled_first_wins', 'first_won_on', ['source_relation', 'level', 'level_key', 'segment'], ["count(*) as new_logos"]) }}
),

-- ARR and paying accounts at the period end: the period's last month end, or
-- the last month end on or before the as-of date for the current period.
arpa_periods as (
    select
        period_grain,
        period_start,
        case
            when period_end <= {{ as_of_date() }} then period_end
            else cast({{ dbt.dateadd('day', -1, dbt.date_trunc('month', dbt.dateadd('day', 1, as_of_date()))) }} as date)
        end as arpa_month_end
    from periods
    where
        period_grain in ('month', 'quarter', 'year')
        and period_start <= {{ as_of_date() }}
),

arr_by_period as (
    select
        arpa_periods.period_grain,
        arpa_periods.period_start,
        account_arr.source_relation,
        'company' as level,
        cast(null as {{ dbt.type_string() }}) as level_key,
        account_arr.segment,
        arpa_periods.arpa_month_end,
        sum(account_arr.arr) as arr_at_period_end,
        count(*) as paying_accounts
    from arpa_periods
    inner join account_arr
        on arpa_periods.arpa_month_end = account_arr.month_end
    where arpa_periods.arpa_month_end >= arpa_periods.period_start
    group by
        arpa_periods.period_grain,
        arpa_periods.period_start,
        account_arr.source_relation,
        account_arr.segment,
        arpa_periods.arpa_month_end
),

keys as (
    {%- for part in parts %}
        select
            period_grain,
            period_start,
            source_relation,
            level,
            level_key,
            segment
        from {{ part }}
        {% if not loop.last %}union{% endif %}
    {%- endfor %}
),

final as (
    select
        keys.period_grain,
        keys.period_start,
        periods.period_end,
        keys.source_relation,
        keys.level,
        keys.level_key,
        {{ level_name('keys') }} as level_name,
        keys.segment,
        cast(coalesce(deals.won_opportunities, 0) as {{ dbt.type_bigint() }}) as won_opportunities,
        cast(coalesce(deals.lost_opportunities, 0) as {{ dbt.type_bigint() }}) as lost_opportunities,
        cast(coalesce(deals.closed_opportunities, 0) as {{ dbt.type_bigint() }}) as closed_opportunities,
        {{ ratio('deals.won_opportunities', 'deals.closed_opportunities') }} as win_rate,
        cast(coalesce(deals.won_arr, 0) as {{ type_money() }}) as won_arr,
        cast(coalesce(deals.lost_arr, 0) as {{ type_money() }}) as lost_arr,
        cast(coalesce(deals.closed_arr, 0) as {{ type_money() }}) as closed_arr,
        {{ ratio('deals.won_arr', 'deals.closed_arr') }} as win_rate_arr,
        cast(coalesce(deals.won_arr, 0) as {{ type_money() }}) as new_business_arr,
        {{ money_divide('deals.won_arr', 'deals.won_opportunities') }} as avg_deal_size,
        cast(coalesce(deals.total_sales_cycle_days, 0) as {{ dbt.type_bigint() }}) as total_sales_cycle_days,
        {{ ratio('deals.total_sales_cycle_days', 'deals.won_opportunities') }} as avg_sales_cycle_days,
        cast(deals.median_sales_cycle_days as {{ type_double() }}) as median_sales_cycle_days,
        cast(coalesce(logos.new_logos, 0) as {{ dbt.type_bigint() }}) as new_logos,
        arr.arpa_month_end,
        cast(arr.arr_at_period_end as {{ type_money() }}) as arr_at_period_end,
        cast(arr.paying_accounts as {{ dbt.type_bigint() }}) as paying_accounts,
        {{ money_divide('arr.arr_at_period_end', 'arr.paying_accounts') }} as arpa,
        periods.is_complete
    from keys
    inner join periods
        on {{ same_keys('keys', 'periods', ['period_grain', 'period_start']) }}
    left join deals_by_period as deals
        on {{ same_keys('keys', 'deals', row_keys) }}
    left join new_logos_by_period as logos
        on {{ same_keys('keys', 'logos', row_keys) }}
    left join arr_by_period as arr
        on {{ same_keys('keys', 'arr', row_keys) }}
    {{ level_users_join('keys') }}
)

select * from final
