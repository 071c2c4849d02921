{#-
    Every stage an opportunity entered, known at the as-of date: its history
    rows entered before the as-of cutoff; an opportunity with no history at
    all entered its current stage at creation. History rows of unknown or
    deleted opportunities are dropped (listed in dq_record_issues).

    Incremental (docs/decisions/0006-incremental.md): a run whose as-of date
    is at most var incremental_max_gap_days after the stored one recomputes
    only the opportunities touched since the stored as-of date minus var
    incremental_lookback_days (created, updated or with a history row
    entered since then), all their entries, and deletes the entries of
    opportunities that no longer exist; any other run rebuilds in full.
-#}
{{
    config(
        materialized=incremental_materialization(),
        unique_key="opportunity_id",
        incremental_strategy="delete+insert",
        on_schema_change="fail",
        post_hook="{{ delete_vanished_rows('opportunity_id', ref('stg_crm__opportunities'), 'created_at < ' ~ as_of_cutoff()) }}",
    )
}}
{%- set lookback_start = incremental_lookback_start() %}

with opportunities as (
    select * from {{ ref('stg_crm__opportunities') }}
    where created_at < {{ as_of_cutoff() }}
),

history as (select * from {{ ref('stg_crm__opportunity_stage_history') }}),

stages as (select * from {{ ref('stg_crm__stages') }}),

-- On an incremental run, only the opportunities touched since the look-back
-- start: created, updated, or with a history row entered since then.
batch_opportunities as (
    select * from opportunities
    {%- if lookback_start is not none %}
    where
        created_at >= cast('{{ lookback_start }}' as {{ dbt.type_timestamp() }})
        or updated_at >= cast('{{ lookback_start }}' as {{ dbt.type_timestamp() }})
        or opportunity_id in (
            select history.opportunity_id
            from history
            where history.entered_at >= cast('{{ lookback_start }}' as {{ dbt.type_timestamp() }})
        )
    {%- endif %}
),

known_history as (
    select
        history.opportunity_id,
        history.stage_name,
        history.entered_at
    from history
    inner join batch_opportunities
        on history.opportunity_id = batch_opportunities.opportunity_id
),

opportunities_without_history as (
    select
        batch_opportunities.opportunity_id,
        batch_opportunities.stage_name,
        batch_opportunities.created_at as entered_at
    from batch_opportunities
    where not exists (
        select 1 from known_history
        where known_history.opportunity_id = batch_opportunities.opportunity_id
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
        entries.is_inferred,
        {{ as_of_date() }} as built_as_of_date
    from entries
    inner join stages
        on entries.stage_name = stages.stage_name
)

select * from final
