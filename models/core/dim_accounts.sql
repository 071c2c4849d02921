{#- One row per account (customer or prospect) with its segment and owner. -#}
with accounts as (select * from {{ ref('stg_crm__accounts') }}),

final as (
    select
        account_id,
        owner_id,
        source_relation,
        account_name,
        industry,
        segment,
        region,
        created_at
    from accounts
)

select * from final
