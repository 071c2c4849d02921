with source as (
    select * from {{ raw_relation('quotas') }}
),

renamed as (
    select
        cast(user_id as {{ dbt.type_string() }}) as user_id,
        cast(quota_amount as {{ type_amount() }}) as quota_amount,
        cast(period_start as date) as period_start,
        cast(period_end as date) as period_end,
        {{ staged_source_relation('quotas', 'user_id') }} as source_relation
    from source
)

select * from renamed
