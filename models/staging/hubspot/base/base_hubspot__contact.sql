{#-
    Contacts, with the lifecycle-stage dates of the lead funnel. Deleted
    contacts (is_deleted or _fivetran_deleted) are kept, flagged.
-#}
with source as (
    {{ adapter_select('hubspot', 'contact', [
        ['contact_id', 'id', 'key'],
        ['owner_id', adapter_field('hubspot', 'contact', 'owner_id'), 'key'],
        ['company_id', adapter_field('hubspot', 'contact', 'company_id'), 'key'],
        ['email', 'property_email', 'text'],
        ['lead_source', adapter_field('hubspot', 'contact', 'lead_source'), 'text'],
        ['campaign', adapter_field('hubspot', 'contact', 'campaign'), 'text'],
        ['lifecycle_stage', 'property_lifecyclestage', 'text'],
        ['lead_status', 'property_hs_lead_status', 'text'],
        ['created_at', 'property_createdate', 'timestamp'],
        ['lead_at', 'property_hs_lifecyclestage_lead_date', 'timestamp'],
        ['mql_at', 'property_hs_lifecyclestage_marketingqualifiedlead_date', 'timestamp'],
        ['sql_at', 'property_hs_lifecyclestage_salesqualifiedlead_date', 'timestamp'],
        ['opportunity_at', 'property_hs_lifecyclestage_opportunity_date', 'timestamp'],
        ['customer_at', 'property_hs_lifecyclestage_customer_date', 'timestamp'],
        ['is_deleted', ['is_deleted', '_fivetran_deleted'], 'boolean'],
    ]) }}
),

contacts as (
    select
        contact_id,
        owner_id,
        company_id,
        email,
        lead_source,
        campaign,
        lifecycle_stage,
        lead_status,
        created_at,
        lead_at,
        mql_at,
        sql_at,
        opportunity_at,
        customer_at,
        coalesce(is_deleted, false) as is_deleted,
        source_relation
    from source
)

select * from contacts
