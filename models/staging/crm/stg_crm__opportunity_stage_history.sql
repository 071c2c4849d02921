with source as (
    select * from {{ raw_relation('opportunity_stage_history') }}
),

renamed as (
    select
        cast(opportunity_id as {{ dbt.type_string() }}) as opportunity_id,
        cast(stage_name as {{ dbt.type_string() }}) as stage_name,
        cast(amount as {{ type_amount() }}) as amount,
        {{ utc_timestamp("entered_at") }} as entered_at,
        {{ staged_source_relation('opportunity_stage_history', 'opportunity_id') }} as source_relation
    from source
)

select * from renamed
