{#-
    ARR at account x product grain at every month end on or before the
    as-of date, and at the as-of date for the month containing it (the month
    to date: its measured_through), classified by classify_arr_movements
    (the rules of the account grain, applied per product):
    - ARR at a month's snapshot day (measured_through: the month end, or the
      as-of date) = the arr of the account's subscriptions of that product
      active on that day (starts_on <= day < ends_on, or ends_on null),
      converted at the latest rate on or before it, rounded to cents per
      account, product and month.
    - A missing rate leaves the ARR null: the row is kept (and fails the
      not_null test) rather than dropped.

    Incremental (docs/decisions/0006-incremental.md): a run whose as-of date
    is at most var incremental_max_gap_days after the stored one
    (built_as_of_date) recomputes the month ends from the month of the
    look-back start (stored as-of date minus var incremental_lookback_days)
    on, for every account (unique key month_start): subscriptions starting
    or ending since then, and a month end crossed, are there. Earlier month
    ends are kept, and each account and product's first ARR month is read
    from them: the contract gives subscriptions no updated_at, so a
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

with subscriptions as (
    select * from {{ ref('stg_crm__subscriptions') }}
    where starts_on <= {{ as_of_date() }}
),

dates as (select * from {{ ref('dim_dates') }}),

accounts as (select * from {{ ref('dim_accounts') }}),

fx as (select * from {{ ref('int_exchange_rate_ranges') }}),

-- The months started by the as-of date, each measured on its snapshot day
-- (measured_through); on an incremental run, from the one before the first
-- recomputed month (its ARR is the first month's starting ARR).
months as (
    {{ calendar_months('dates', from_month_start=bounds.previous) }}
),

-- The rate of each subscription currency at each snapshot day, looked up once
-- per (currency, month) pair: the range join then runs over a few hundred
-- pairs instead of every subscription month (it took 29 s of the model's
-- 48 s at 10M leads), and the subscription months join it on equality.
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
        on {{ fx_rate_join('fx', 'subscription_currencies.currency', 'months.measured_through') }}
),

active_subscriptions as (
    select
        subscriptions.account_id,
        subscriptions.product_id,
        months.month_start,
        months.month_end,
        months.measured_through,
        subscriptions.arr * month_rates.rate_to_reporting as arr
    from subscriptions
    inner join months
        on
            subscriptions.starts_on <= months.measured_through
            and (subscriptions.ends_on is null or subscriptions.ends_on > months.measured_through)
    left join month_rates
        on
            subscriptions.currency = month_rates.currency
            and months.month_start = month_rates.month_start
),

arr_by_month as (
    select
        account_id,
        product_id,
        month_start,
        month_end,
        measured_through,
        cast(sum(arr) as {{ type_money() }}) as arr
    from active_subscriptions
    group by
        account_id,
        product_id,
        month_start,
        month_end,
        measured_through
    having sum(arr) > 0 or sum(arr) is null
),

-- The keys, segment, month and snapshot day classify_arr_movements reads.
product_arr as (
    select
        arr_by_month.account_id,
        arr_by_month.product_id,
        coalesce(accounts.source_relation, {{ source_relation_of_key('arr_by_month.account_id') }}) as source_relation,
        coalesce(accounts.segment, 'unknown') as segment,
        arr_by_month.month_start,
        arr_by_month.month_end,
        arr_by_month.measured_through,
        arr_by_month.arr
    from arr_by_month
    left join accounts
        on arr_by_month.account_id = accounts.account_id
),
{%- if lookback_start is not none %}

-- The first month with ARR of each account and product: the kept months'
-- is in the stored rows.
first_arr_months as (
    select
        account_id,
        product_id,
        source_relation,
        min(month_start) as first_arr_month_start
    from (
        select
            account_id,
            product_id,
            source_relation,
            month_start
        from product_arr
        where arr > 0
        union all
        select
            account_id,
            product_id,
            source_relation,
            month_start
        from {{ this }}
        where month_start < {{ bounds.first }} and ending_arr > 0
    ) as arr_months
    group by
        account_id,
        product_id,
        source_relation
),
{%- endif %}

{{ classify_arr_movements(
    'product_arr',
    ['account_id', 'product_id', 'source_relation'],
    bounds=none if lookback_start is none else bounds,
    first_arr_months=none if lookback_start is none else 'first_arr_months',
    with_watermark=true,
) }}

final as (
    select
        account_id,
        product_id,
        month_start,
        month_end,
        measured_through,
        source_relation,
        segment,
        movement_type,
        starting_arr,
        new_arr,
        reactivation_arr,
        expansion_arr,
        contraction_arr,
        churned_arr,
        ending_arr,
        net_new_arr,
        first_arr_month_start,
        built_as_of_date
    from arr_movements
)

select * from final
