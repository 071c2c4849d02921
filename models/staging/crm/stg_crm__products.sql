with source as (
    select * from {{ raw_relation('products') }}
),

renamed as (
    select
        cast(product_id as {{ dbt.type_string() }}) as product_id,
        cast(product_name as {{ dbt.type_string() }}) as product_name,
        cast(product_family as {{ dbt.type_string() }}) as product_family,
        cast(launched_on as date) as launched_on,
        {{ staged_source_relation('products', 'product_id') }} as source_relation
    from source
)

select * from renamed
