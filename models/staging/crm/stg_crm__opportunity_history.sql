with source as (
    -- aliased: an absent optional table is a subquery, which PostgreSQL wants named
    select * from {{ raw_relation('opportunity_history') }} as raw_rows
),

renamed as (
    select
        cast(opportunity_id as {{ dbt.type_string() }}) as opportunity_id,
        {{ utc_timestamp("changed_at") }} as changed_at,
        cast(close_date as date) as close_date,
        cast(amount as {{ type_amount() }}) as amount,
        cast(forecast_category as {{ dbt.type_string() }}) as forecast_category,
        {{ staged_source_relation('opportunity_history', 'opportunity_id') }} as source_relation
    from source
)

select * from renamed
