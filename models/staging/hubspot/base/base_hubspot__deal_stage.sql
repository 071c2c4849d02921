{#-
    Deal stage history: one row per stage a deal entered (value is the stage
    id). Every row is kept: in this table _fivetran_active only marks the
    deal's current stage, the inactive rows are the history.
-#}
with source as (
    {{ adapter_select('hubspot', 'deal_stage', [
        ['deal_id', 'deal_id', 'key'],
        ['stage_id', 'value', 'key'],
        ['entered_at', ['date_entered', '_fivetran_start'], 'timestamp'],
        ['change_source', 'source', 'text'],
        ['is_current_stage', '_fivetran_active', 'boolean'],
    ]) }}
)

select * from source
where stage_id is not null
