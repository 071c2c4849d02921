{#-
    HubSpot contacts as contract `leads`: the lifecycle-stage dates are the
    funnel (created_at = create date, mql_at / sql_at = the marketing- and
    sales-qualified lead dates, converted_at = the opportunity date).
    - disqualified_at: the first time hs_lead_status took a value of var
      hubspot_disqualified_lead_statuses (contact_property_history; null
      without it).
    - converted_opportunity_id: HubSpot has no conversion link; for a
      converted contact, its earliest associated deal (by creation, then id;
      deleted deals included, as the contract keeps the link to a deleted
      opportunity).
    - converted_account_id: the contact's company, once converted.
-#}
with contacts as (select * from {{ ref('base_hubspot__contact') }}),

property_history as (select * from {{ ref('base_hubspot__contact_property_history') }}),

deal_contacts as (select * from {{ ref('base_hubspot__deal_contact') }}),

deals as (select * from {{ ref('base_hubspot__deal') }}),

disqualifications as (
    select
        contact_id,
        min(changed_at) as disqualified_at
    from property_history
    where
        lower(property_name) = 'hs_lead_status'
        and upper(trim(property_value)) in (
            {%- for status in var('hubspot_disqualified_lead_statuses', ['UNQUALIFIED']) -%}
                '{{ status | upper }}'{% if not loop.last %}, {% endif %}
            {%- endfor -%}
        )
    group by contact_id
),

contact_deals as (
    select
        deal_contacts.contact_id,
        deals.deal_id,
        row_number() over (
            partition by deal_contacts.contact_id
            order by deals.created_at, deals.deal_id
        ) as deal_rank
    from deal_contacts
    inner join deals
        on deal_contacts.deal_id = deals.deal_id
),

final as (
    select
        contacts.contact_id as lead_id,
        contacts.created_at,
        contacts.lead_source,
        contacts.campaign,
        contacts.owner_id,
        contacts.mql_at,
        contacts.sql_at,
        disqualifications.disqualified_at,
        contacts.opportunity_at as converted_at,
        case when contacts.opportunity_at is not null then contacts.company_id end as converted_account_id,
        case when contacts.opportunity_at is not null then contact_deals.deal_id end as converted_opportunity_id,
        contacts.is_deleted,
        contacts.source_relation
    from contacts
    left join disqualifications
        on contacts.contact_id = disqualifications.contact_id
    left join contact_deals
        on
            contacts.contact_id = contact_deals.contact_id
            and contact_deals.deal_rank = 1
)

select * from final
