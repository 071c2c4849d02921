{#- Opportunity line items: current versions, not deleted. -#}
with source as (
    {{ adapter_select('salesforce', 'opportunity_line_item', [
        ['line_item_id', 'id', 'key'],
        ['opportunity_id', 'opportunity_id', 'key'],
        ['product_id', 'product_2_id', 'key'],
        ['created_at', 'created_date', 'timestamp'],
    ] + fivetran_history_columns()) }}
),

current_line_items as (
    select
        line_item_id,
        opportunity_id,
        product_id,
        created_at,
        source_relation
    from source
    where
        {{ fivetran_is_current() }}
        and not coalesce(is_deleted, false)
)

select * from current_line_items
