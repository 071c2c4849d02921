{#-
    One row per lead known at the as-of date (not deleted, created before the
    as-of cutoff), with its lifecycle as known then: a step whose timestamp is
    after the as-of day has not happened yet (null). The lead's opportunity is
    its converted_opportunity_id when that names an existing opportunity
    (not deleted, created by the as-of date), else the earliest existing
    opportunity carrying its lead_id (by created_at, then opportunity_id).
-#}
{#- A view: read once, by the fact table beside it. -#}
{{ config(materialized='view') }}
with leads as (
    select * from {{ ref('stg_crm__leads') }}
    where created_at < {{ as_of_cutoff() }}
),

opportunities as (
    select
        opportunity_id,
        lead_id,
        created_at
    from {{ ref('stg_crm__opportunities') }}
    where created_at < {{ as_of_cutoff() }}
),

opportunities_ranked_by_lead as (
    select
        lead_id,
        opportunity_id,
        row_number() over (
            partition by lead_id
            order by created_at, opportunity_id
        ) as opportunity_rank
    from opportunities
    where lead_id is not null
),

first_opportunity_by_lead as (
    select
        lead_id,
        opportunity_id
    from opportunities_ranked_by_lead
    where opportunity_rank = 1
),

lifecycle as (
    select
        leads.lead_id,
        leads.owner_id,
        leads.source_relation,
        coalesce(converted_opportunities.opportunity_id, first_opportunity_by_lead.opportunity_id) as opportunity_id,
        case
            when leads.converted_at is null or leads.converted_at < {{ as_of_cutoff() }} then leads.converted_account_id
        end as converted_account_id,
        leads.lead_source,
        leads.campaign,
        case
            when converted_opportunities.opportunity_id is not null then 'converted_opportunity_id'
            when first_opportunity_by_lead.opportunity_id is not null then 'lead_id'
        end as opportunity_link,
        leads.created_at,
        {% for step in ['mql_at', 'sql_at', 'disqualified_at', 'converted_at'] -%}
            case when leads.{{ step }} < {{ as_of_cutoff() }} then leads.{{ step }} end as {{ step }}{% if not loop.last %},{% endif %}
        {% endfor %}
    from leads
    left join opportunities as converted_opportunities
        on leads.converted_opportunity_id = converted_opportunities.opportunity_id
    left join first_opportunity_by_lead
        on leads.lead_id = first_opportunity_by_lead.lead_id
)

select * from lifecycle
