{#-
    Deal pipeline stages: stage id, label, pipeline, order, HubSpot's
    probability (already 0..1) and the stage's forecast category where the
    sync has it (var hubspot_fields.deal_pipeline_stage.forecast_category,
    default forecast_category). One row per stage id; deleted stages are
    kept, flagged (deals may have passed through them), after a live row of
    the same id.
-#}
{%- set stage_columns = [
    'stage_id', 'pipeline_id', 'stage_label', 'display_order', 'probability', 'forecast_category', 'is_closed_won', 'is_active',
    'coalesce(is_deleted, false) as is_deleted', 'source_relation',
] -%}
with source as (
    {{ adapter_select('hubspot', 'deal_pipeline_stage', [
        ['stage_id', 'stage_id', 'key'],
        ['pipeline_id', 'pipeline_id', 'key'],
        ['stage_label', 'label', 'text'],
        ['display_order', 'display_order', 'integer'],
        ['probability', 'probability', 'decimal'],
        ['forecast_category', adapter_field('hubspot', 'deal_pipeline_stage', 'forecast_category'), 'text'],
        ['is_closed_won', 'closed_won', 'boolean'],
        ['is_active', 'active', 'boolean'],
        ['is_deleted', '_fivetran_deleted', 'boolean'],
    ]) }}
),

ranked as (
    select
        {{ stage_columns | join(",\n        ") }},
        row_number() over (
            partition by stage_id
            order by coalesce(is_deleted, false), pipeline_id
        ) as stage_rank
    from source
),

stages as (
    select
        {{ stage_columns | join(",\n        ") }}
    from ranked
    where stage_rank = 1
)

select * from stages
