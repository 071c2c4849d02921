with source as (
    select * from {{ raw_relation('accounts') }}
),

renamed as (
    select
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(owner_id as {{ dbt.type_string() }}) as owner_id,
        cast(account_name as {{ dbt.type_string() }}) as account_name,
        cast(industry as {{ dbt.type_string() }}) as industry,
        coalesce(cast(segment as {{ dbt.type_string() }}), 'unknown') as segment,
        cast(region as {{ dbt.type_string() }}) as region,
        {{ utc_timestamp("created_at") }} as created_at,
        {{ staged_source_relation('accounts', 'account_id') }} as source_relation
    from source
)

select * from renamed
