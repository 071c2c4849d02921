{#- HubSpot companies as contract `accounts` (segment and region from var hubspot_fields.company). -#}
with companies as (select * from {{ ref('base_hubspot__company') }}),

final as (
    select
        company_id as account_id,
        company_name as account_name,
        industry,
        segment,
        region,
        owner_id,
        created_at,
        source_relation
    from companies
)

select * from final
