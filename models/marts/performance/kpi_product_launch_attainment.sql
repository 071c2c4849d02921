{#-
    The product targets (targets rows with a product_id) as measured by
    int_target_attainment, with the product's name and CRM connection.
    is_supported_metric: the target's metric can be measured for a product
    (int_target_attainment's metric_status is measured).
-#}
with targets as (
    select * from {{ ref('int_target_attainment') }}
    where product_id is not null
),

products as (select * from {{ ref('stg_crm__products') }}),

final as (
    select
        targets.product_id,
        targets.metric,
        targets.segment,
        targets.period_start,
        targets.period_end,
        coalesce(products.source_relation, {{ source_relation_of_key('targets.product_id') }}) as source_relation,
        products.product_name,
        targets.target_value,
        targets.actual_value,
        targets.attainment,
        targets.gap,
        targets.days_in_period,
        targets.days_elapsed,
        targets.pct_period_elapsed,
        targets.pace,
        targets.metric_status = 'measured' as is_supported_metric,
        targets.is_complete
    from targets
    left join products
        on targets.product_id = products.product_id
)

select * from final
