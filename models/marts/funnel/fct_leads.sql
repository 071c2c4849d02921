{#-
    One row per lead that exists at the as-of date (not deleted, created on
    or before it), with its lifecycle as known then (later steps are null),
    its opportunity (int_lead_lifecycle: converted_opportunity_id, else the
    earliest opportunity with its lead_id) and what that opportunity had
    reached by the as-of date (stages 1 and 2, won).
-#}
with leads as (
    select * from {{ ref('int_lead_lifecycle') }}
),

opportunities as (
    select * from {{ ref('fct_opportunities') }}
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
        case when opportunities.is_won then opportunities.close_date end as won_on
    from leads
    left join opportunities
        on leads.opportunity_id = opportunities.opportunity_id
)

select * from joined
