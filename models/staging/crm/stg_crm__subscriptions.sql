with source as (
    select * from {{ raw_relation('subscriptions') }}
),

renamed as (
    select
        {{ cast_columns(['subscription_id', 'account_id', 'product_id'], dbt.type_string()) }},
        {{ normalise_currency('currency') }} as currency,
        cast(arr as {{ type_amount() }}) as raw_arr,
        cast(starts_on as date) as starts_on,
        cast(ends_on as date) as ends_on,
        {{ staged_source_relation('subscriptions', 'account_id') }} as source_relation
    from source
),

-- A negative ARR is set to 0 (listed in dq_record_issues).
repaired as (
    select
        subscription_id,
        account_id,
        product_id,
        currency,
        raw_arr,
        case when raw_arr > 0 then raw_arr else 0 end as arr,
        starts_on,
        ends_on,
        coalesce(raw_arr < 0, false) as has_negative_amount,
        source_relation
    from renamed
)

select * from repaired
