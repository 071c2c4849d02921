with source as (
    select * from {{ raw_relation('targets') }}
),

renamed as (
    select
        lower(trim(cast(metric as {{ dbt.type_string() }}))) as metric,
        cast(segment as {{ dbt.type_string() }}) as segment,
        cast(product_id as {{ dbt.type_string() }}) as product_id,
        cast(target_value as {{ type_amount() }}) as target_value,
        cast(period_start as date) as period_start,
        cast(period_end as date) as period_end
    from source
)

select * from renamed
