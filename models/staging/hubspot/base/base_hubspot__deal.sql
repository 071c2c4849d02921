{#- Deals. Deleted deals (is_deleted or _fivetran_deleted) are kept, flagged. -#}
with source as (
    {{ adapter_select('hubspot', 'deal', [
        ['deal_id', 'deal_id', 'key'],
        ['owner_id', ['owner_id', 'property_hubspot_owner_id'], 'key'],
        ['sourced_by_id', adapter_field('hubspot', 'deal', 'sourced_by_id'), 'key'],
        ['lead_contact_id', adapter_field('hubspot', 'deal', 'lead_id'), 'key'],
        ['pipeline_id', ['deal_pipeline_id', 'property_pipeline'], 'key'],
        ['stage_id', ['deal_pipeline_stage_id', 'property_dealstage'], 'key'],
        ['deal_name', 'property_dealname', 'text'],
        ['deal_type', 'property_dealtype', 'text'],
        ['amount', 'property_amount', 'decimal'],
        ['currency', 'property_deal_currency_code', 'text'],
        ['created_at', 'property_createdate', 'timestamp'],
        ['close_date', 'property_closedate', 'date'],
        ['updated_at', 'property_hs_lastmodifieddate', 'timestamp'],
        ['is_deleted', ['is_deleted', '_fivetran_deleted'], 'boolean'],
    ]) }}
),

deals as (
    select
        deal_id,
        owner_id,
        sourced_by_id,
        lead_contact_id,
        pipeline_id,
        stage_id,
        deal_name,
        deal_type,
        amount,
        currency,
        created_at,
        close_date,
        updated_at,
        coalesce(is_deleted, false) as is_deleted,
        source_relation
    from source
)

select * from deals
