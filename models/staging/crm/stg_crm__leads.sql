with source as (
    select * from {{ crm_input('leads') }}
    where {{ is_not_deleted() }}
),

renamed as (
    select
        cast(lead_id as {{ dbt.type_string() }}) as lead_id,
        cast(owner_id as {{ dbt.type_string() }}) as owner_id,
        cast(converted_account_id as {{ dbt.type_string() }}) as converted_account_id,
        cast(converted_opportunity_id as {{ dbt.type_string() }}) as converted_opportunity_id,
        coalesce(nullif(lower(trim(cast(lead_source as {{ dbt.type_string() }}))), ''), 'unknown') as lead_source,
        cast(campaign as {{ dbt.type_string() }}) as campaign,
        cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
        cast(mql_at as {{ dbt.type_timestamp() }}) as mql_at,
        cast(sql_at as {{ dbt.type_timestamp() }}) as sql_at,
        cast(disqualified_at as {{ dbt.type_timestamp() }}) as disqualified_at,
        cast(converted_at as {{ dbt.type_timestamp() }}) as converted_at
    from source
)

select * from renamed
