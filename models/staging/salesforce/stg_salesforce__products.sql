{#-
    Contract `products` for Salesforce: the canonical products table when the
    user provides one with rows (it wins: Product2 has no launch date), else
    Product2 (launched_on from the field of var salesforce_fields.product_2).
-#}
with canonical_products as (
    select
        cast(product_id as {{ dbt.type_string() }}) as product_id,
        cast(product_name as {{ dbt.type_string() }}) as product_name,
        cast(product_family as {{ dbt.type_string() }}) as product_family,
        cast(launched_on as date) as launched_on,
        cast(null as {{ dbt.type_string() }}) as source_relation
    from {{ canonical_relation('products') }} as raw_products
),

salesforce_products as (
    select
        product_id,
        product_name,
        product_family,
        launched_on,
        source_relation
    from {{ ref('base_salesforce__product_2') }}
),

final as (
    select * from canonical_products
    union all
    select * from salesforce_products
    where not exists (select 1 from canonical_products)
)

select * from final
