with source as (
    -- aliased: an absent optional table is a subquery, which PostgreSQL wants named
    select * from {{ raw_relation('activities') }} as raw_rows
),

renamed as (
    select
        {{ cast_columns(['activity_id', 'user_id', 'lead_id', 'opportunity_id'], dbt.type_string()) }},
        lower(trim(cast(activity_type as {{ dbt.type_string() }}))) as activity_type,
        {{ utc_timestamp("occurred_at") }} as occurred_at,
        {{ staged_source_relation('activities', 'user_id') }} as source_relation
    from source
)

select * from renamed
