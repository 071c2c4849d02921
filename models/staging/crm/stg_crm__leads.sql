with source as (
    select * from {{ raw_relation('leads') }}
    where {{ is_not_deleted() }}
),

renamed as (
    select
        {{ cast_columns(['lead_id', 'owner_id', 'converted_account_id', 'converted_opportunity_id'], dbt.type_string()) }},
        coalesce(nullif(lower(trim(cast(lead_source as {{ dbt.type_string() }}))), ''), 'unknown') as lead_source,
        cast(campaign as {{ dbt.type_string() }}) as campaign,
        {{ utc_timestamp("created_at") }} as created_at,
        {{ utc_timestamp("mql_at") }} as mql_at,
        {{ utc_timestamp("sql_at") }} as sql_at,
        {{ utc_timestamp("disqualified_at") }} as disqualified_at,
        {{ utc_timestamp("converted_at") }} as converted_at,
        {{ staged_source_relation('leads', 'lead_id') }} as source_relation
    from source
)

select * from renamed
