{#- Owners (HubSpot users), not deleted. -#}
with source as (
    {{ adapter_select('hubspot', 'owner', [
        ['owner_id', 'owner_id', 'key'],
        ['email', 'email', 'text'],
        ['first_name', 'first_name', 'text'],
        ['last_name', 'last_name', 'text'],
        ['owner_type', 'type', 'text'],
        ['created_at', 'created_at', 'timestamp'],
        ['is_active', ['is_active', 'active'], 'boolean'],
        ['_fivetran_deleted', '_fivetran_deleted', 'boolean'],
    ]) }}
)

select
    owner_id,
    email,
    first_name,
    last_name,
    trim(coalesce(first_name, '') || ' ' || coalesce(last_name, '')) as full_name,
    owner_type,
    created_at,
    is_active,
    source_relation
from source
where not coalesce(_fivetran_deleted, false)
