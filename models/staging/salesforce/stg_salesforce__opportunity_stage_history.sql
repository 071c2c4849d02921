{#-
    Salesforce stage history as contract `opportunity_stage_history`: one row
    per stage entered. OpportunityHistory also records amount and close-date
    changes (and a history-mode copy records every edit): a row whose stage
    equals the previous row's enters nothing and is dropped
    (first_entry_per_stage_run); the amount is the one recorded on entry.
-#}
with history as (select * from {{ ref('base_salesforce__opportunity_history') }}),

stage_entries as (
    {{ first_entry_per_stage_run('history', tie_breaker='history_id') }}
),

final as (
    select
        opportunity_id,
        stage_name,
        entered_at,
        amount,
        source_relation
    from stage_entries
)

select * from final
