{{ config(materialized="table") }}

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
-#}
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

months as (
    select distinct
        month_start,
        month_end
    from dates
    where month_end <= {{ as_of_date() }}
),

active_subscriptions as (
    select
        subscriptions.account_id,
        subscriptions.product_id,
        months.month_start,
        subscriptions.arr * fx.rate_to_reporting as arr
    from subscriptions
    inner join months
        on
            subscriptions.starts_on <= months.month_end
            and (subscriptions.ends_on is null or subscriptions.ends_on > months.month_end)
    left join fx
        on {{ fx_rate_join('fx', 'subscriptions.currency', 'months.month_end') }}
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

with_history as (
    select
        combined.*,
        min(case when combined.current_arr > 0 then combined.month_start end) over (
            partition by combined.account_id, combined.product_id
        ) as first_arr_month_start
    from combined
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
        classified.first_arr_month_start
    from classified
    left join accounts
        on classified.account_id = accounts.account_id
)

select * from final
