{#-
    Per product, account segment and month (up to the as-of month): won
    bookings of the product (by close month) and its ARR movements (the sum
    of int_account_product_arr_monthly). Opportunities and subscriptions
    without a product_id are left out (they belong to no product).
-#}
with opportunities as (
    select * from {{ ref('fct_opportunities') }}
    where
        is_won
        and product_id is not null
),

arr_movements as (
    select * from {{ ref('int_account_product_arr_monthly') }}
    where product_id is not null
),

bookings as (
    select
        product_id,
        segment,
        {{ period_start('month', 'close_date') }} as month_start,
        sum(case when is_bookings_type then 1 else 0 end) as won_opportunities,
        sum(case when is_bookings_type then arr_amount else 0 end) as bookings_arr,
        sum(case when opportunity_type = 'new_business' then arr_amount else 0 end) as new_business_arr,
        cast(0 as {{ type_money() }}) as starting_arr,
        cast(0 as {{ type_money() }}) as new_arr,
        cast(0 as {{ type_money() }}) as reactivation_arr,
        cast(0 as {{ type_money() }}) as expansion_arr,
        cast(0 as {{ type_money() }}) as contraction_arr,
        cast(0 as {{ type_money() }}) as churned_arr,
        cast(0 as {{ type_money() }}) as ending_arr,
        0 as starting_customers,
        0 as new_customers,
        0 as reactivated_customers,
        0 as churned_customers,
        0 as ending_customers
    from opportunities
    group by
        product_id,
        segment,
        {{ period_start('month', 'close_date') }}
),

movements as (
    select
        product_id,
        segment,
        month_start,
        0 as won_opportunities,
        cast(0 as {{ type_money() }}) as bookings_arr,
        cast(0 as {{ type_money() }}) as new_business_arr,
        {{ arr_movement_sums(["new", "reactivation", "churn"]) }}
    from arr_movements
    group by
        product_id,
        segment,
        month_start
),

unioned as (
    select * from bookings
    union all
    select * from movements
),

final as (
    select
        product_id,
        segment,
        month_start,
        sum(won_opportunities) as won_opportunities,
        cast(sum(bookings_arr) as {{ type_money() }}) as bookings_arr,
        cast(sum(new_business_arr) as {{ type_money() }}) as new_business_arr,
        cast(sum(starting_arr) as {{ type_money() }}) as starting_arr,
        cast(sum(new_arr) as {{ type_money() }}) as new_arr,
        cast(sum(reactivation_arr) as {{ type_money() }}) as reactivation_arr,
        cast(sum(expansion_arr) as {{ type_money() }}) as expansion_arr,
        cast(sum(contraction_arr) as {{ type_money() }}) as contraction_arr,
        cast(sum(churned_arr) as {{ type_money() }}) as churned_arr,
        cast(sum(ending_arr) as {{ type_money() }}) as ending_arr,
        sum(starting_customers) as starting_customers,
        sum(new_customers) as new_customers,
        sum(reactivated_customers) as reactivated_customers,
        sum(churned_customers) as churned_customers,
        sum(ending_customers) as ending_customers
    from unioned
    group by
        product_id,
        segment,
        month_start
)

select * from final
