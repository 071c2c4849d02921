{#-
    ARR at account x product grain at every month end on or before the as-of
    date, with the month's movement (spec section 4, applied per product):
    - ARR at a month end = the arr of the account's subscriptions of that
      product active on that day (starts_on <= day < ends_on, or ends_on
      null), converted at the latest rate on or before it, rounded to cents
      per account, product and month end. A month not over by the as-of date
      has no month end yet, so no row.
    - Compared with the previous month end, the change is exactly one of new
      (previous 0, never had ARR of this product before), reactivation
      (previous 0, had some earlier), expansion, contraction, churn, or
      no_change.
    Only account x product x months with ARR now or at the previous month end
    have rows (zero to zero is no movement). Same rules, rounding and columns
    as issue 4's int_account_product_arr_movements, so either can replace the
    other.

    Incremental (docs/decisions/0006-incremental.md): a run whose as-of date
    is at most var incremental_max_gap_days after the stored one
    (built_as_of_date) recomputes the month ends from the month of the
    look-back start (stored as-of date minus var incremental_lookback_days)
    on, for every account (unique key month_start): subscriptions starting
    or ending since then, and a month end crossed, are there. Earlier month
    ends are kept: the contract gives subscriptions no updated_at, so a
    subscription back-dated before the look-back, or a restated exchange
    rate, needs a --full-refresh (documented). A pre-hook deletes the stored
    rows of the recomputed months first (all of them on a full recompute,
    e.g. an earlier as-of date: month ends after it must go). The account
    segment, which can change without a timestamp, is brought up to date on
    every row by a post-hook.
-#}
{{ config(**month_keyed_incremental_config()) }}
{%- set lookback_start = incremental_lookback_start() %}
{#- A full build: every month (the bounds are the beginning of time). -#}
{%- set bounds = incremental_month_bounds(lookback_start) %}
{%- set first_month_start = bounds.first %}
{%- set previous_month_start = bounds.previous %}

with subscriptions as (
    select * from {{ ref('stg_crm__subscriptions') }}
    where starts_on <= {{ as_of_date() }}
),

dates as (
    select * from {{ ref('dim_dates') }}
),

accounts as (
    select * from {{ ref('dim_accounts') }}
),

fx as (
    select * from {{ ref('int_exchange_rate_ranges') }}
),

-- On an incremental run, the months from the one before the first
-- recomputed month (its ARR is the first month's starting ARR).
months as (
    select distinct
        month_start,
        month_end
    from dates
    where
        month_end <= {{ as_of_date() }}
        and month_start >= {{ previous_month_start }}
),

-- The rate of each subscription currency at each month end, looked up once
-- per (currency, month) pair: the range join then runs over a few hundred
-- pairs instead of every subscription month (issue 7: 29 s of 48 s at 10M
-- leads), and the subscription months join it on equality.
subscription_currencies as (
    select distinct currency
    from subscriptions
),

month_rates as (
    select
        subscription_currencies.currency,
        months.month_start,
        fx.rate_to_reporting
    from subscription_currencies
    cross join months
    inner join fx
        on {{ fx_rate_join('fx', 'subscription_currencies.currency', 'months.month_end') }}
),

active_subscriptions as (
    select
        subscriptions.account_id,
        subscriptions.product_id,
        months.month_start,
        subscriptions.arr * month_rates.rate_to_reporting as arr
    from subscriptions
    inner join months
        on
            subscriptions.starts_on <= months.month_end
            and (subscriptions.ends_on is null or subscriptions.ends_on > months.month_end)
    left join month_rates
        on
            subscriptions.currency = month_rates.currency
            and months.month_start = month_rates.month_start
),

-- A missing rate leaves the ARR null: the row is kept (and fails the
-- not_null test) rather than dropped.
arr_by_month as (
    select
        account_id,
        product_id,
        month_start,
        cast(sum(arr) as {{ type_money() }}) as arr
    from active_subscriptions
    group by
        account_id,
        product_id,
        month_start
    having sum(arr) > 0 or sum(arr) is null
),

-- Each month-end ARR is the current ARR of its month and the previous ARR
-- of the next month (while that month has ended by the as-of date), so
-- zero-to-zero months never materialise.
current_and_previous as (
    select
        account_id,
        product_id,
        month_start,
        arr as current_arr,
        cast(0 as {{ type_money() }}) as previous_arr
    from arr_by_month
    union all
    select
        account_id,
        product_id,
        cast({{ dbt.dateadd('month', 1, 'month_start') }} as date) as month_start,
        cast(0 as {{ type_money() }}) as current_arr,
        arr as previous_arr
    from arr_by_month
    where {{ dbt.dateadd('month', 2, 'month_start') }} <= {{ dbt.dateadd('day', 1, as_of_date()) }}
),

combined as (
    select
        account_id,
        product_id,
        month_start,
        sum(current_arr) as current_arr,
        sum(previous_arr) as previous_arr
    from current_and_previous
    group by
        account_id,
        product_id,
        month_start
),

-- The first month with ARR of each account and product, aggregated once and
-- joined back (cheaper than a window over every month: issue 7).
first_arr_months as (
    select
        account_id,
        product_id,
        min(month_start) as first_arr_month_start
    from (
        select
            account_id,
            product_id,
            month_start
        from arr_by_month
        where arr > 0
        {%- if lookback_start is not none %}
        -- the kept months: their first ARR month is in the stored rows
        union all
        select
            account_id,
            product_id,
            month_start
        from {{ this }}
        where month_start < {{ first_month_start }} and ending_arr > 0
        {%- endif %}
    ) as arr_months
    group by
        account_id,
        product_id
),

with_history as (
    select
        combined.*,
        first_arr_months.first_arr_month_start
    from combined
    left join first_arr_months
        on
            combined.account_id = first_arr_months.account_id
            and combined.product_id is not distinct from first_arr_months.product_id
),

classified as (
    select
        with_history.*,
        case
            when with_history.previous_arr = 0 and with_history.current_arr > 0 and with_history.first_arr_month_start < with_history.month_start then 'reactivation'
            when with_history.previous_arr = 0 and with_history.current_arr > 0 then 'new'
            when with_history.previous_arr > 0 and with_history.current_arr = 0 then 'churn'
            when with_history.current_arr > with_history.previous_arr then 'expansion'
            when with_history.current_arr < with_history.previous_arr then 'contraction'
            else 'no_change'
        end as movement_type
    from with_history
),

final as (
    select
        classified.account_id,
        classified.product_id,
        classified.month_start,
        cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'classified.month_start')) }} as date) as month_end,
        coalesce(accounts.source_relation, {{ source_relation_of_key('classified.account_id') }}) as source_relation,
        coalesce(accounts.segment, 'unknown') as segment,
        classified.movement_type,
        cast(classified.previous_arr as {{ type_money() }}) as starting_arr,
        cast(case when classified.movement_type = 'new' then classified.current_arr else 0 end as {{ type_money() }}) as new_arr,
        cast(case when classified.movement_type = 'reactivation' then classified.current_arr else 0 end as {{ type_money() }}) as reactivation_arr,
        cast(
            case when classified.movement_type = 'expansion' then classified.current_arr - classified.previous_arr else 0 end
            as {{ type_money() }}
        ) as expansion_arr,
        cast(
            case when classified.movement_type = 'contraction' then classified.previous_arr - classified.current_arr else 0 end
            as {{ type_money() }}
        ) as contraction_arr,
        cast(case when classified.movement_type = 'churn' then classified.previous_arr else 0 end as {{ type_money() }}) as churned_arr,
        cast(classified.current_arr as {{ type_money() }}) as ending_arr,
        cast(classified.current_arr - classified.previous_arr as {{ type_money() }}) as net_new_arr,
        classified.first_arr_month_start,
        {{ as_of_date() }} as built_as_of_date
    from classified
    left join accounts
        on classified.account_id = accounts.account_id
    where classified.month_start >= {{ first_month_start }}
)

select * from final
