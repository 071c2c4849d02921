with source as (
    select * from {{ raw_relation('accounts') }}
),

renamed as (
    select
        {{ cast_columns(['account_id', 'owner_id', 'account_name', 'industry'], dbt.type_string()) }},
        coalesce(cast(segment as {{ dbt.type_string() }}), 'unknown') as segment,
        cast(region as {{ dbt.type_string() }}) as region,
        {{ utc_timestamp("created_at") }} as created_at,
        {{ staged_source_relation('accounts', 'account_id') }} as source_relation
    from source
)

select * from renamed
