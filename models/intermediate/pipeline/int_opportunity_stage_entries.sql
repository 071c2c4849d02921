{#-
    Every stage an opportunity entered, known at the as-of date: its history
    rows entered before the as-of cutoff; an opportunity with no history at
    all entered its current stage at creation. History rows of unknown or
    deleted opportunities are dropped (listed in dq_record_issues).
-#}
with opportunities as (
    select * from {{ ref('stg_crm__opportunities') }}
    where created_at < {{ as_of_cutoff() }}
),

history as (
    select * from {{ ref('stg_crm__opportunity_stage_history') }}
),

stages as (
    select * from {{ ref('stg_crm__stages') }}
),

known_history as (
    select
        history.opportunity_id,
        history.stage_name,
        history.entered_at
    from history
    inner join opportunities
        on history.opportunity_id = opportunities.opportunity_id
),

opportunities_without_history as (
    select
        opportunities.opportunity_id,
        opportunities.stage_name,
        opportunities.created_at as entered_at
    from opportunities
    where not exists (
        select 1 from known_history
        where known_history.opportunity_id = opportunities.opportunity_id
    )
),

entries as (
    select
        opportunity_id,
        stage_name,
        entered_at,
        false as is_inferred
    from known_history
    where entered_at < {{ as_of_cutoff() }}
    union all
    select
        opportunity_id,
        stage_name,
        entered_at,
        true as is_inferred
    from opportunities_without_history
),

final as (
    select
        entries.opportunity_id,
        entries.stage_name,
        stages.stage_number,
        stages.is_closed,
        stages.is_won,
        entries.entered_at,
        entries.is_inferred
    from entries
    inner join stages
        on entries.stage_name = stages.stage_name
)

select * from final
