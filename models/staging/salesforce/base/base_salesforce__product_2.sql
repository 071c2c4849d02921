{#- Products (Product2): current versions, not deleted. -#}
with source as (
    {{ adapter_select('salesforce', 'product_2', [
        ['product_id', 'id', 'key'],
        ['product_name', 'name', 'text'],
        ['product_family', 'family', 'text'],
        ['launched_on', adapter_field('salesforce', 'product_2', 'launched_on'), 'date'],
        ['is_active', 'is_active', 'boolean'],
    ] + fivetran_history_columns()) }}
),

current_products as (
    select
        product_id,
        product_name,
        product_family,
        launched_on,
        is_active,
        source_relation
    from source
    where
        {{ fivetran_is_current() }}
        and not coalesce(is_deleted, false)
)

select * from current_products
