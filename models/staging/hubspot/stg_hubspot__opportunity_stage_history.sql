{#-
    HubSpot deal stage history as contract `opportunity_stage_history`: one
    row per stage entered, the stage id replaced by its label. A row whose
    stage equals the previous row's (the stage set again) enters nothing
    (first_entry_per_stage_run). HubSpot does not record the amount at each
    stage: amount is null (the KPIs use the deal's amount).
-#}
with deal_stages as (select * from {{ ref('base_hubspot__deal_stage') }}),

stages as (select * from {{ ref('base_hubspot__deal_pipeline_stage') }}),

labelled as (
    select
        deal_stages.deal_id as opportunity_id,
        stages.stage_label as stage_name,
        deal_stages.entered_at,
        deal_stages.stage_id,
        deal_stages.source_relation
    from deal_stages
    left join stages
        on deal_stages.stage_id = stages.stage_id
),

stage_entries as (
    {{ first_entry_per_stage_run('labelled', tie_breaker='stage_id') }}
),

final as (
    select
        opportunity_id,
        stage_name,
        entered_at,
        cast(null as {{ type_amount() }}) as amount,
        source_relation
    from stage_entries
)

select * from final
