{#-
    ARR of each account at every month end on or before the as-of date where
    it is > 0: the sum of its products' month-end ARR
    (int_account_product_arr_monthly.ending_arr, each rounded to cents, so
    product ARR adds up to account ARR exactly; overlapping subscriptions
    summed).
-#}
with product_arr as (
    select * from {{ ref('int_account_product_arr_monthly') }}
    where ending_arr > 0
),

final as (
    select
        account_id,
        source_relation,
        segment,
        month_start,
        month_end,
        cast(sum(ending_arr) as {{ type_money() }}) as arr,
        count(*) as products
    from product_arr
    group by
        account_id,
        source_relation,
        segment,
        month_start,
        month_end
)

select * from final
