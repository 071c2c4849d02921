{#-
    History rows (stage, amount, close date and forecast category after each
    change), in one of two layouts (picked per connection from the columns
    present):
    - the OpportunityHistory object (has opportunity_id): one row per change
      of stage, amount or close date, entered at created_date; the current
      version of each row (_fivetran_active) that is not deleted;
    - a Fivetran history-mode copy of Opportunity (has _fivetran_start): one
      row per version of the opportunity, entered at _fivetran_start; every
      version is kept (the old ones are the history), deleted ones dropped.
-#}
{%- set history_object = [
    ['history_id', 'id', 'key'],
    ['opportunity_id', 'opportunity_id', 'key'],
    ['stage_name', 'stage_name', 'text'],
    ['entered_at', 'created_date', 'timestamp'],
    ['amount', 'amount', 'decimal'],
    ['close_date', 'close_date', 'date'],
    ['forecast_category', 'forecast_category', 'text'],
] + fivetran_history_columns() -%}
with source as (
    {{ adapter_select('salesforce', 'opportunity_history', history_object, shapes=[
        ['opportunity_id', history_object],
        ['_fivetran_start', [
            ['history_id', none, 'key'],
            ['opportunity_id', 'id', 'key'],
            ['stage_name', 'stage_name', 'text'],
            ['entered_at', '_fivetran_start', 'timestamp'],
            ['amount', 'amount', 'decimal'],
            ['close_date', 'close_date', 'date'],
            ['forecast_category', 'forecast_category_name', 'text'],
            ['is_deleted', 'is_deleted', 'boolean'],
            ['_fivetran_active', none, 'boolean'],
            ['_fivetran_deleted', '_fivetran_deleted', 'boolean'],
        ]],
    ]) }}
),

current_rows as (
    select
        history_id,
        opportunity_id,
        stage_name,
        entered_at,
        amount,
        close_date,
        {{ adapter_forecast_category('forecast_category') }} as forecast_category,
        source_relation
    from source
    where
        {{ fivetran_is_current() }}
        and not coalesce(is_deleted, false)
        and stage_name is not null
)

select * from current_rows
