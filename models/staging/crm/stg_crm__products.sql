with source as (
    -- aliased: an absent optional table is a subquery, which PostgreSQL wants named
    select * from {{ raw_relation('products') }} as raw_rows
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
