{#- Contact property changes: one row per contact, property and change. -#}
with source as (
    {{ adapter_select('hubspot', 'contact_property_history', [
        ['contact_id', 'contact_id', 'key'],
        ['property_name', 'name', 'text'],
        ['property_value', 'value', 'text'],
        ['changed_at', 'timestamp', 'timestamp'],
        ['change_source', 'source', 'text'],
    ]) }}
)

select * from source
