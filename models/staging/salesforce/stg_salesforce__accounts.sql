{#- Salesforce accounts as contract `accounts` (segment and region from var salesforce_fields.account). -#}
with accounts as (select * from {{ ref('base_salesforce__account') }}),

final as (
    select
        account_id,
        account_name,
        industry,
        segment,
        region,
        owner_id,
        created_at,
        source_relation
    from accounts
)

select * from final
