{#-
    One row per product (from the optional products table: none without it)
    and calendar month, from the earlier of its launch month and its first
    month with bookings or ARR (not before the calendar's first month) to
    the as-of month. The month's bookings and ARR movements come from
    int_product_activity_monthly (account x product grain, summed); the
    running totals are windows over the product's months. The as-of month
    is measured to date: its bookings so far, and its ARR movements to the
    as-of date (measured_through). Attainment against product targets is
    kpi_product_launch_attainment.
    What each column means: the doc blocks of its yml.
-#}
{%- set bookings_columns = ['won_opportunities', 'bookings_arr', 'new_business_arr'] -%}
{%- set arr_columns = ['starting_arr', 'new_arr', 'reactivation_arr', 'expansion_arr', 'contraction_arr', 'churned_arr', 'ending_arr',
                       'starting_customers', 'new_customers', 'reactivated_customers', 'churned_customers', 'ending_customers'] -%}
{%- set activity_columns = bookings_columns + arr_columns -%}
with products as (select * from {{ ref('stg_crm__products') }}),

activity as (select * from {{ ref('int_product_activity_monthly') }}),

dates as (select * from {{ ref('dim_dates') }}),

months as (
    {{ calendar_months('dates') }}
),

activity_by_month as (
    select
        product_id,
        month_start,
        {{ sum_columns(activity_columns) | join(",\n        ") }}
    from activity
    group by
        product_id,
        month_start
),

first_activity as (
    select
        product_id,
        min(month_start) as first_activity_month_start
    from activity_by_month
    group by product_id
),

product_spans as (
    select
        products.product_id,
        products.source_relation,
        products.product_name,
        products.product_family,
        products.launched_on,
        {{ period_start('month', 'products.launched_on') }} as launch_month_start,
        case
            when products.launched_on is null then first_activity.first_activity_month_start
            when first_activity.first_activity_month_start is null then {{ period_start('month', 'products.launched_on') }}
            when first_activity.first_activity_month_start < {{ period_start('month', 'products.launched_on') }}
                then first_activity.first_activity_month_start
            else {{ period_start('month', 'products.launched_on') }}
        end as first_month_start
    from products
    left join first_activity
        on products.product_id = first_activity.product_id
),

product_months as (
    select
        product_spans.product_id,
        months.month_start,
        months.month_end,
        months.measured_through,
        product_spans.source_relation,
        product_spans.product_name,
        product_spans.product_family,
        product_spans.launched_on,
        {{ dbt.datediff('product_spans.launch_month_start', 'months.month_start', 'month') }} as months_since_launch
    from product_spans
    inner join months
        on product_spans.first_month_start <= months.month_start
),

joined as (
    select
        product_months.*,
        {{ coalesce_columns(activity_columns, 'activity_by_month') }}
    from product_months
    left join activity_by_month
        on {{ same_keys('product_months', 'activity_by_month', ['product_id', 'month_start']) }}
),

final as (
    select
        product_id,
        month_start,
        month_end,
        source_relation,
        product_name,
        product_family,
        months_since_launch,
        cast(won_opportunities as {{ dbt.type_bigint() }}) as won_opportunities,
        cast(bookings_arr as {{ type_money() }}) as bookings_arr,
        cast(new_business_arr as {{ type_money() }}) as new_business_arr,
        cast(starting_arr as {{ type_money() }}) as starting_arr,
        cast(new_arr as {{ type_money() }}) as new_arr,
        cast(reactivation_arr as {{ type_money() }}) as reactivation_arr,
        cast(expansion_arr as {{ type_money() }}) as expansion_arr,
        cast(contraction_arr as {{ type_money() }}) as contraction_arr,
        cast(churned_arr as {{ type_money() }}) as churned_arr,
        cast(ending_arr as {{ type_money() }}) as ending_arr,
        cast(ending_arr - starting_arr as {{ type_money() }}) as net_new_arr,
        cast(starting_customers as {{ dbt.type_bigint() }}) as starting_customers,
        cast(new_customers as {{ dbt.type_bigint() }}) as new_customers,
        cast(reactivated_customers as {{ dbt.type_bigint() }}) as reactivated_customers,
        cast(churned_customers as {{ dbt.type_bigint() }}) as churned_customers,
        cast(ending_customers as {{ dbt.type_bigint() }}) as ending_customers,
        cast(sum(won_opportunities) over (
            partition by product_id order by month_start rows between unbounded preceding and current row
        ) as {{ dbt.type_bigint() }}) as cumulative_won_opportunities,
        cast(sum(bookings_arr) over (
            partition by product_id order by month_start rows between unbounded preceding and current row
        ) as {{ type_money() }}) as cumulative_bookings_arr,
        cast(sum(ending_arr - starting_arr) over (
            partition by product_id order by month_start rows between unbounded preceding and current row
        ) as {{ type_money() }}) as cumulative_net_new_arr,
        coalesce(month_start >= {{ period_start('month', 'launched_on') }}, false) as is_launched,
        month_end <= {{ as_of_date() }} as is_complete,
        measured_through,
        launched_on
    from joined
)

select * from final
