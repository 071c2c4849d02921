{#-
    ARR of each account at every month end on or before the as-of date, and
    at the as-of date for the month containing it (measured_through), where
    it is > 0: the sum of its products' month-end ARR
    (int_account_product_arr_monthly.ending_arr, each rounded to cents, so
    product ARR adds up to account ARR exactly; overlapping subscriptions
    summed).

    Incremental like int_account_product_arr_monthly (docs/decisions/
    0006-incremental.md): a run within var incremental_max_gap_days of the
    stored as-of date recomputes the month ends from the month of the
    look-back start on (the months the product fact recomputed); earlier
    months are kept, their segment brought up to date by a post-hook.
-#}
{{ config(**month_keyed_incremental_config()) }}
-- depends_on: {{ ref('dim_accounts') }}
{%- set bounds = incremental_month_bounds(incremental_lookback_start()) %}

with product_arr as (
    select * from {{ ref('int_account_product_arr_monthly') }}
    where ending_arr > 0 and month_start >= {{ bounds.first }}
),

final as (
    select
        account_id,
        source_relation,
        segment,
        month_start,
        month_end,
        measured_through,
        cast(sum(ending_arr) as {{ type_money() }}) as arr,
        count(*) as products,
        {{ as_of_date() }} as built_as_of_date
    from product_arr
    group by
        account_id,
        source_relation,
        segment,
        month_start,
        month_end,
        measured_through
)

select * from final
