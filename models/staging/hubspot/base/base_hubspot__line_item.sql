{#- Line items, not deleted, with their product. -#}
with source as (
    {{ adapter_select('hubspot', 'line_item', [
        ['line_item_id', 'id', 'key'],
        ['product_id', 'property_hs_product_id', 'key'],
        ['is_deleted', ['is_deleted', '_fivetran_deleted'], 'boolean'],
    ]) }}
)

select
    line_item_id,
    product_id,
    source_relation
from source
where not coalesce(is_deleted, false)
