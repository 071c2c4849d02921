with source as (
    -- aliased: an absent optional table is a subquery, which PostgreSQL wants named
    select * from {{ raw_relation('products') }} as raw_rows
),

renamed as (
    select
        {{ cast_columns(['product_id', 'product_name', 'product_family'], dbt.type_string()) }},
        cast(launched_on as date) as launched_on,
        {{ staged_source_relation('products', 'product_id') }} as source_relation
    from source
)

select * from renamed
