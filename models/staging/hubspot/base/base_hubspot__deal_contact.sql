{#- Deal-contact associations. -#}
with source as (
    {{ adapter_select('hubspot', 'deal_contact', [
        ['deal_id', 'deal_id', 'key'],
        ['contact_id', 'contact_id', 'key'],
        ['association_type_id', 'type_id', 'integer'],
        ['_fivetran_deleted', '_fivetran_deleted', 'boolean'],
    ]) }}
)

select
    deal_id,
    contact_id,
    association_type_id,
    source_relation
from source
where not coalesce(_fivetran_deleted, false)
