with source as (
    -- aliased: an absent optional table is a subquery, which PostgreSQL wants named
    select * from {{ raw_relation('activities') }} as raw_rows
),

renamed as (
    select
        cast(activity_id as {{ dbt.type_string() }}) as activity_id,
        cast(user_id as {{ dbt.type_string() }}) as user_id,
        cast(lead_id as {{ dbt.type_string() }}) as lead_id,
        cast(opportunity_id as {{ dbt.type_string() }}) as opportunity_id,
        lower(trim(cast(activity_type as {{ dbt.type_string() }}))) as activity_type,
        {{ utc_timestamp("occurred_at") }} as occurred_at,
        {{ staged_source_relation('activities', 'user_id') }} as source_relation
    from source
)

select * from renamed
