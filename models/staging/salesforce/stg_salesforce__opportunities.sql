{#-
    Salesforce opportunities as contract `opportunities`.
    - lead_id: the lead that converted into the opportunity
      (Lead.ConvertedOpportunityId), else the lead field of var
      salesforce_fields.opportunity (default Lead__c).
    - product_id: the product of the first line item (by creation, then id).
    - opportunity_type: Type mapped by adapter_opportunity_type.
    - currency: CurrencyIsoCode (multi-currency orgs; null = reporting currency).
    Deleted opportunities are passed on flagged (is_deleted), as the contract has it.
-#}
with opportunities as (select * from {{ ref('base_salesforce__opportunity') }}),

leads as (select * from {{ ref('base_salesforce__lead') }}),

line_items as (select * from {{ ref('base_salesforce__opportunity_line_item') }}),

converting_leads as (
    select
        converted_opportunity_id as opportunity_id,
        min(lead_id) as lead_id
    from leads
    where converted_opportunity_id is not null
    group by converted_opportunity_id
),

first_line_items as (
    select
        opportunity_id,
        product_id,
        row_number() over (
            partition by opportunity_id
            order by created_at, line_item_id
        ) as line_item_rank
    from line_items
),

final as (
    select
        opportunities.opportunity_id,
        opportunities.account_id,
        opportunities.owner_id,
        opportunities.sourced_by_id,
        coalesce(converting_leads.lead_id, opportunities.lead_id) as lead_id,
        first_line_items.product_id,
        {{ adapter_opportunity_type('salesforce', 'opportunities.opportunity_type') }} as opportunity_type,
        opportunities.stage_name,
        opportunities.amount,
        opportunities.currency,
        opportunities.created_at,
        opportunities.close_date,
        opportunities.updated_at,
        opportunities.is_deleted,
        opportunities.source_relation
    from opportunities
    left join converting_leads
        on opportunities.opportunity_id = converting_leads.opportunity_id
    left join first_line_items
        on
            opportunities.opportunity_id = first_line_items.opportunity_id
            and first_line_items.line_item_rank = 1
)

select * from final
