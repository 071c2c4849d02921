with source as (
    select * from {{ raw_relation('opportunities') }}
    where {{ is_not_deleted() }}
),

renamed as (
    select
        {{ cast_columns(['opportunity_id', 'account_id', 'owner_id', 'sourced_by_id', 'lead_id', 'product_id'], dbt.type_string()) }},
        lower(trim(cast(opportunity_type as {{ dbt.type_string() }}))) as opportunity_type,
        cast(stage_name as {{ dbt.type_string() }}) as stage_name,
        {{ normalise_currency('currency') }} as currency,
        cast(amount as {{ type_amount() }}) as raw_amount,
        {{ utc_timestamp("created_at") }} as raw_created_at,
        cast(close_date as date) as close_date,
        {{ utc_timestamp("updated_at") }} as updated_at,
        {{ staged_source_relation('opportunities', 'opportunity_id') }} as source_relation
    from source
),

-- Record-level repairs (docs/decisions/0003-bad-input.md): a null amount is 0,
-- a negative amount is set to 0; a deal closing before it was created is taken
-- as created on its close date. Both are listed in dq_record_issues.
repaired as (
    select
        opportunity_id,
        account_id,
        owner_id,
        sourced_by_id,
        lead_id,
        product_id,
        opportunity_type,
        stage_name,
        currency,
        raw_amount,
        case when raw_amount > 0 then raw_amount else 0 end as amount,
        raw_created_at,
        case
            when cast(raw_created_at as date) > close_date
                then cast(close_date as {{ dbt.type_timestamp() }})
            else raw_created_at
        end as created_at,
        close_date,
        updated_at,
        coalesce(raw_amount < 0, false) as has_negative_amount,
        coalesce(cast(raw_created_at as date) > close_date, false) as is_closed_before_created,
        source_relation
    from renamed
)

select * from repaired
