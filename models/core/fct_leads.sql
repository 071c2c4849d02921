{#-
    One row per lead that exists at the as-of date (not deleted, created on
    or before it), with its lifecycle as known then (later steps are null),
    its opportunity (int_lead_lifecycle: converted_opportunity_id, else the
    earliest opportunity with its lead_id) and what that opportunity had
    reached by the as-of date (stages 1 and 2, won).

    Incremental (docs/decisions/0006-incremental.md): a run whose as-of date
    is at most var incremental_max_gap_days after the stored one
    (built_as_of_date) recomputes only the leads touched since the stored
    as-of date minus var incremental_lookback_days: a lifecycle step
    (created, MQL, SQL, disqualified, converted) on or after it; an
    opportunity carrying the lead (lead_id or converted_opportunity_id)
    created, updated, closing or entering a stage since then; and any stored
    lead whose opportunity's facts no longer match fct_opportunities (a
    restated exchange rate, a re-segmented account, a deleted deal): the
    comparison heals what no timestamp reveals. Leads that no longer exist
    are deleted. Any other run rebuilds in full.
-#}

-- depends_on: {{ ref('stg_crm__leads') }}
-- depends_on: {{ ref('stg_crm__opportunities') }}
-- depends_on: {{ ref('stg_crm__opportunity_stage_history') }}
{{
    config(
        materialized=incremental_materialization(),
        unique_key="lead_id",
        incremental_strategy="delete+insert",
        on_schema_change="fail",
        post_hook="{{ delete_vanished_rows('lead_id', ref('stg_crm__leads'), 'created_at < ' ~ as_of_cutoff()) }}",
    )
}}
{%- set lookback_start = incremental_lookback_start() %}
{%- set since = "cast('" ~ lookback_start ~ "' as " ~ dbt.type_timestamp() ~ ")" %}

with opportunities as (select * from {{ ref('fct_opportunities') }}),

{%- if lookback_start is not none %}

-- Incremental run: the leads to recompute (see the header).
touched_opportunities as (
    select
        opportunity_id,
        lead_id
    from {{ ref('stg_crm__opportunities') }}
    where
        created_at >= {{ since }}
        or updated_at >= {{ since }}
        or close_date >= cast({{ since }} as date)
        or opportunity_id in (
            select history.opportunity_id
            from {{ ref('stg_crm__opportunity_stage_history') }} as history
            where history.entered_at >= {{ since }}
        )
),

stored_with_opportunity as (
    select * from {{ this }}
    where opportunity_id is not null
),

stale_leads as (
    select stored.lead_id
    from stored_with_opportunity as stored
    left join opportunities
        on stored.opportunity_id = opportunities.opportunity_id
    where
        opportunities.opportunity_id is null
        or stored.opportunity_type is distinct from opportunities.opportunity_type
        or stored.opportunity_segment is distinct from opportunities.segment
        or stored.opportunity_arr_amount is distinct from opportunities.arr_amount
        or stored.is_won is distinct from coalesce(opportunities.is_won, false)
        or stored.opportunity_created_at is distinct from opportunities.created_at
        or stored.stage1_reached_at is distinct from opportunities.stage1_reached_at
        or stored.stage2_reached_at is distinct from opportunities.stage2_reached_at
        or stored.won_on is distinct from case when opportunities.is_won then opportunities.close_date end
),

batch_leads as (
    select lead_id
    from {{ ref('stg_crm__leads') }}
    where
        created_at >= {{ since }}
        or mql_at >= {{ since }}
        or sql_at >= {{ since }}
        or disqualified_at >= {{ since }}
        or converted_at >= {{ since }}
        or converted_opportunity_id in (select touched_opportunities.opportunity_id from touched_opportunities)
    union
    select lead_id
    from touched_opportunities
    where lead_id is not null
    union
    select stored.lead_id
    from stored_with_opportunity as stored
    where stored.opportunity_id in (select touched_opportunities.opportunity_id from touched_opportunities)
    union
    select lead_id
    from stale_leads
),

{%- endif %}

leads as (
    select * from {{ ref('int_lead_lifecycle') }}
    {%- if lookback_start is not none %}
    where lead_id in (select batch_leads.lead_id from batch_leads)
    {%- endif %}
),

joined as (
    select
        leads.lead_id,
        leads.owner_id,
        leads.opportunity_id,
        leads.converted_account_id,
        leads.source_relation,
        leads.lead_source,
        leads.campaign,
        leads.opportunity_link,
        opportunities.opportunity_type,
        opportunities.segment as opportunity_segment,
        opportunities.arr_amount as opportunity_arr_amount,
        case
            when leads.sql_at is not null
                then {{ dbt.datediff('cast(leads.created_at as date)', 'cast(leads.sql_at as date)', 'day') }}
        end as days_to_sql,
        leads.mql_at is not null as is_mql,
        leads.sql_at is not null as is_sql,
        leads.converted_at is not null as is_converted,
        leads.disqualified_at is not null as is_disqualified,
        leads.opportunity_id is not null as has_opportunity,
        coalesce(opportunities.is_won, false) as is_won,
        leads.created_at,
        cast(leads.created_at as date) as created_on,
        leads.mql_at,
        cast(leads.mql_at as date) as mql_on,
        leads.sql_at,
        cast(leads.sql_at as date) as sql_on,
        leads.disqualified_at,
        leads.converted_at,
        cast(leads.converted_at as date) as converted_on,
        opportunities.created_at as opportunity_created_at,
        opportunities.stage1_reached_at,
        cast(opportunities.stage1_reached_at as date) as stage1_reached_on,
        opportunities.stage2_reached_at,
        cast(opportunities.stage2_reached_at as date) as stage2_reached_on,
        case when opportunities.is_won then opportunities.close_date end as won_on,
        {{ as_of_date() }} as built_as_of_date
    from leads
    left join opportunities
        on leads.opportunity_id = opportunities.opportunity_id
)

select * from joined
