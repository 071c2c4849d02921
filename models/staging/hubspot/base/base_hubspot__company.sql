{#- Companies, not deleted. -#}
with source as (
    {{ adapter_select('hubspot', 'company', [
        ['company_id', 'id', 'key'],
        ['owner_id', 'property_hubspot_owner_id', 'key'],
        ['company_name', 'property_name', 'text'],
        ['industry', 'property_industry', 'text'],
        ['segment', adapter_field('hubspot', 'company', 'segment'), 'text'],
        ['region', adapter_field('hubspot', 'company', 'region'), 'text'],
        ['created_at', 'property_createdate', 'timestamp'],
        ['is_deleted', ['is_deleted', '_fivetran_deleted'], 'boolean'],
    ]) }}
)

select
    company_id,
    owner_id,
    company_name,
    industry,
    segment,
    region,
    created_at,
    source_relation
from source
where not coalesce(is_deleted, false)
