{#-
    Every metric that targets and forecasts are measured on, as daily sums by
    segment and product (long format), from the marts' own definitions:
    - new_business_arr / bookings_arr: won new_business / bookings-type
      opportunities' arr_amount, on their close date;
    - net_new_arr / expansion_arr: ARR movements at month ends
      (int_account_arr_movements for company and segment targets; the
      account x product movements for product targets, where a product swap
      is a churn and a new ARR);
    - sqls / stage1_opportunities: int_org_funnel_daily.
    applies_to_company: the row counts for targets without a product;
    applies_to_product: it counts for product targets.
-#}
with opportunities as (
    select * from {{ ref('fct_opportunities') }}
    where is_won
),

account_movements as (
    select * from {{ ref('int_account_arr_movements') }}
),

product_movements as (
    select * from {{ ref('int_account_product_arr_monthly') }}
),

funnel as (
    select * from {{ ref('int_org_funnel_daily') }}
),

bookings as (
    select
        'new_business_arr' as metric,
        close_date as metric_date,
        segment,
        product_id,
        true as applies_to_company,
        true as applies_to_product,
        sum(arr_amount) as metric_value
    from opportunities
    where opportunity_type = 'new_business'
    group by close_date, segment, product_id
    union all
    select
        'bookings_arr' as metric,
        close_date as metric_date,
        segment,
        product_id,
        true as applies_to_company,
        true as applies_to_product,
        sum(arr_amount) as metric_value
    from opportunities
    where is_bookings_type
    group by close_date, segment, product_id
),

arr_movements as (
    {% for metric in ['net_new_arr', 'expansion_arr'] %}
        select
            '{{ metric }}' as metric,
            month_end as metric_date,
            segment,
            cast(null as {{ dbt.type_string() }}) as product_id,
            true as applies_to_company,
            false as applies_to_product,
            sum({{ metric }}) as metric_value
        from account_movements
        group by month_end, segment
        union all
        select
            '{{ metric }}' as metric,
            month_end as metric_date,
            segment,
            product_id,
            false as applies_to_company,
            true as applies_to_product,
            sum({{ metric }}) as metric_value
        from product_movements
        group by month_end, segment, product_id
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

funnel_counts as (
    select
        metric,
        metric_date,
        segment,
        product_id,
        true as applies_to_company,
        true as applies_to_product,
        sum(metric_count) as metric_value
    from funnel
    group by metric, metric_date, segment, product_id
),

unioned as (
    select * from bookings
    union all
    select * from arr_movements
    union all
    select * from funnel_counts
),

final as (
    select
        metric,
        metric_date,
        segment,
        product_id,
        applies_to_company,
        applies_to_product,
        cast(metric_value as {{ type_amount() }}) as metric_value
    from unioned
)

select * from final
