{#-
    ARR of each account and product at every month end on or before the
    as-of date where it is > 0: the sum of the arr of the subscriptions active
    on the month's last day (starts_on <= day < ends_on, or ends_on null),
    each converted at the latest rate on or before that month end, rounded to
    cents per account, product and month. A subscription active only inside
    one month never appears; an open-ended subscription runs to the as-of
    month. Built from each subscription's own month range joined to the month
    ends (a range join), never an accounts x months cross join.
-#}
with subscriptions as (
    select * from {{ ref('stg_crm__subscriptions') }}
    where starts_on <= {{ as_of_date() }}
),

accounts as (
    select * from {{ ref('stg_crm__accounts') }}
),

fx as (
    select * from {{ ref('int_exchange_rate_ranges') }}
),

month_ends as (
    select
        period_start as month_start,
        period_end as month_end
    from {{ ref('dim_periods') }}
    where
        period_grain = 'month'
        and period_end <= {{ as_of_date() }}
),

currencies as (
    select distinct currency from subscriptions
),

-- One rate per currency and month end (small: currencies x months).
month_end_rates as (
    select
        currencies.currency,
        month_ends.month_end,
        fx.rate_to_reporting
    from currencies
    cross join month_ends
    left join fx
        on {{ fx_rate_join('fx', 'currencies.currency', 'month_ends.month_end') }}
),

-- An open-ended subscription is active up to any month end: a date past the
-- calendar keeps the join a pure range join.
bounded_subscriptions as (
    select
        account_id,
        product_id,
        currency,
        arr,
        starts_on,
        coalesce(ends_on, cast('9999-12-31' as date)) as active_until
    from subscriptions
    where
        arr > 0
        and (ends_on is null or ends_on > starts_on)
),

-- Each subscription on each month end it is active at, converted at that
-- month end's rate, summed per account, product and month end.
converted as (
    select
        bounded_subscriptions.account_id,
        bounded_subscriptions.product_id,
        month_ends.month_start,
        month_ends.month_end,
        cast(sum(bounded_subscriptions.arr * month_end_rates.rate_to_reporting) as {{ type_money() }}) as arr,
        count(*) as active_subscriptions
    from bounded_subscriptions
    inner join month_ends
        on
            bounded_subscriptions.starts_on <= month_ends.month_end
            and bounded_subscriptions.active_until > month_ends.month_end
    left join month_end_rates
        on
            bounded_subscriptions.currency = month_end_rates.currency
            and month_ends.month_end = month_end_rates.month_end
    group by
        bounded_subscriptions.account_id,
        bounded_subscriptions.product_id,
        month_ends.month_start,
        month_ends.month_end
),

final as (
    select
        converted.account_id,
        converted.product_id,
        coalesce(accounts.segment, 'unknown') as segment,
        converted.month_start,
        converted.month_end,
        converted.arr,
        converted.active_subscriptions
    from converted
    left join accounts
        on converted.account_id = accounts.account_id
    where converted.arr > 0 or converted.arr is null
)

select * from final
