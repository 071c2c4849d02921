{#-
    Every metric of the org_metrics catalogue as daily sums by segment and
    product (long format): each entry's value summed per day from its source
    (the catalogue says which rows count and what each adds):
    - bookings: won opportunities on their close date;
    - arr_movements: on each month's measured_through (its month end, or the
      as-of date for the as-of month's movement to date), twice: from
      int_account_arr_movements for company and segment targets
      (applies_to_company) and from the account x product movements for
      product targets (applies_to_product), where a product swap is a churn
      and a new ARR;
    - funnel: int_org_funnel_daily (it counts for both).
-#}
{%- set metrics = org_metrics() %}

with opportunities as (
    select * from {{ ref('fct_opportunities') }}
    where is_won
),

account_movements as (select * from {{ ref('int_account_arr_movements') }}),

product_movements as (select * from {{ ref('int_account_product_arr_monthly') }}),

funnel as (select * from {{ ref('int_org_funnel_daily') }}),

bookings as (
    {% for entry in metrics | selectattr('source', 'equalto', 'bookings') %}
        select
            '{{ entry.metric }}' as metric,
            close_date as metric_date,
            segment,
            product_id,
            true as applies_to_company,
            true as applies_to_product,
            sum({{ entry.value }}) as metric_value
        from opportunities
        where {{ entry.where }}
        group by close_date, segment, product_id
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

-- One pass over each movements table: every movement metric a column, then
-- one row per metric below.
account_movement_sums as (
    select
        measured_through as metric_date,
        segment,
        cast(null as {{ dbt.type_string() }}) as product_id,
        {%- for entry in metrics | selectattr('source', 'equalto', 'arr_movements') %}
            sum({{ entry.value }}) as {{ entry.metric }},
        {%- endfor %}
        true as applies_to_company,
        false as applies_to_product
    from account_movements
    group by measured_through, segment
),

product_movement_sums as (
    select
        measured_through as metric_date,
        segment,
        product_id,
        {%- for entry in metrics | selectattr('source', 'equalto', 'arr_movements') %}
            sum({{ entry.value }}) as {{ entry.metric }},
        {%- endfor %}
        false as applies_to_company,
        true as applies_to_product
    from product_movements
    group by measured_through, segment, product_id
),

movement_sums as (
    select * from account_movement_sums
    union all
    select * from product_movement_sums
),

arr_movements as (
    {% for entry in metrics | selectattr('source', 'equalto', 'arr_movements') %}
        select
            '{{ entry.metric }}' as metric,
            metric_date,
            segment,
            product_id,
            applies_to_company,
            applies_to_product,
            {{ entry.metric }} as metric_value
        from movement_sums
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
