{#-
    HubSpot deals as contract `opportunities`.
    - account_id: the deal's primary company (association type 5), else its
      lowest associated company id, else the company of its lead, else the
      pseudo-account `deal:<deal_id>` (kept, listed in dq_record_issues as
      an orphan, segment unknown).
    - lead_id: the earliest-created contact associated with the deal, else
      the contact of the deal property of var hubspot_fields.deal.lead_id.
    - stage_name: the label of the deal's stage (deal_pipeline_stage).
    - product_id: hs_product_id of the deal's first line item (by id).
    - opportunity_type: dealtype mapped by adapter_opportunity_type.
    Deleted deals are passed on flagged (is_deleted), as the contract has it.
-#}
with deals as (select * from {{ ref('base_hubspot__deal') }}),

deal_companies as (select * from {{ ref('base_hubspot__deal_company') }}),

deal_contacts as (select * from {{ ref('base_hubspot__deal_contact') }}),

contacts as (select * from {{ ref('base_hubspot__contact') }}),

stages as (select * from {{ ref('base_hubspot__deal_pipeline_stage') }}),

line_items as (select * from {{ ref('base_hubspot__line_item') }}),

line_item_deals as (select * from {{ ref('base_hubspot__line_item_deal') }}),

ranked_companies as (
    select
        deal_id,
        company_id,
        row_number() over (
            partition by deal_id
            order by case when association_type_id = 5 then 0 else 1 end, company_id
        ) as company_rank
    from deal_companies
),

ranked_contacts as (
    select
        deal_contacts.deal_id,
        deal_contacts.contact_id,
        contacts.company_id,
        row_number() over (
            partition by deal_contacts.deal_id
            order by contacts.created_at, deal_contacts.contact_id
        ) as contact_rank
    from deal_contacts
    inner join contacts
        on deal_contacts.contact_id = contacts.contact_id
),

ranked_line_items as (
    select
        line_item_deals.deal_id,
        line_items.product_id,
        row_number() over (
            partition by line_item_deals.deal_id
            order by line_items.line_item_id
        ) as line_item_rank
    from line_item_deals
    inner join line_items
        on line_item_deals.line_item_id = line_items.line_item_id
),

final as (
    select
        deals.deal_id as opportunity_id,
        coalesce(
            ranked_companies.company_id,
            ranked_contacts.company_id,
            'deal:' || deals.deal_id
        ) as account_id,
        deals.owner_id,
        deals.sourced_by_id,
        coalesce(ranked_contacts.contact_id, deals.lead_contact_id) as lead_id,
        ranked_line_items.product_id,
        {{ adapter_opportunity_type('hubspot', 'deals.deal_type') }} as opportunity_type,
        stages.stage_label as stage_name,
        deals.amount,
        deals.currency,
        deals.created_at,
        deals.close_date,
        deals.updated_at,
        deals.is_deleted,
        deals.source_relation
    from deals
    left join ranked_companies
        on
            deals.deal_id = ranked_companies.deal_id
            and ranked_companies.company_rank = 1
    left join ranked_contacts
        on
            deals.deal_id = ranked_contacts.deal_id
            and ranked_contacts.contact_rank = 1
    left join ranked_line_items
        on
            deals.deal_id = ranked_line_items.deal_id
            and ranked_line_items.line_item_rank = 1
    left join stages
        on deals.stage_id = stages.stage_id
)

select * from final
