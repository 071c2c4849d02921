{#- Deal property changes: one row per deal, property and change. -#}
with source as (
    {{ adapter_select('hubspot', 'deal_property_history', [
        ['deal_id', 'deal_id', 'key'],
        ['property_name', 'name', 'text'],
        ['property_value', 'value', 'text'],
        ['changed_at', 'timestamp', 'timestamp'],
        ['change_source', 'source', 'text'],
    ]) }}
)

select * from source
