{#- Line item-deal associations. -#}
with source as (
    {{ adapter_select('hubspot', 'line_item_deal', [
        ['line_item_id', 'line_item_id', 'key'],
        ['deal_id', 'deal_id', 'key'],
        ['_fivetran_deleted', '_fivetran_deleted', 'boolean'],
    ]) }}
)

select
    line_item_id,
    deal_id,
    source_relation
from source
where not coalesce(_fivetran_deleted, false)
