{#-
    Salesforce leads as contract `leads`. Salesforce keeps only the date of a
    conversion (ConvertedDate); converting creates the opportunity, so
    converted_at is the creation time of the opportunity the lead converted
    into (ConvertedOpportunityId, else an opportunity naming the lead in its
    lead field) when it was created on the conversion date, else midnight
    UTC of the conversion date. Deleted opportunities count here: their
    creation time is still a fact.
-#}
with leads as (select * from {{ ref('base_salesforce__lead') }}),

opportunities as (select * from {{ ref('base_salesforce__opportunity') }}),

converted_opportunities as (
    select
        leads.lead_id,
        opportunities.created_at
    from leads
    inner join opportunities
        on
            leads.converted_opportunity_id = opportunities.opportunity_id
            and leads.converted_on = cast(opportunities.created_at as date)
),

lead_field_opportunities as (
    select
        lead_id,
        cast(created_at as date) as created_on,
        min(created_at) as created_at
    from opportunities
    where lead_id is not null
    group by
        lead_id,
        cast(created_at as date)
),

final as (
    select
        leads.lead_id,
        leads.created_at,
        leads.lead_source,
        leads.campaign,
        leads.owner_id,
        leads.mql_at,
        leads.sql_at,
        leads.disqualified_at,
        case
            when leads.converted_on is not null
                then coalesce(
                    converted_opportunities.created_at,
                    lead_field_opportunities.created_at,
                    cast(leads.converted_on as {{ dbt.type_timestamp() }})
                )
        end as converted_at,
        leads.converted_account_id,
        leads.converted_opportunity_id,
        leads.is_deleted,
        leads.source_relation
    from leads
    left join converted_opportunities
        on leads.lead_id = converted_opportunities.lead_id
    left join lead_field_opportunities
        on
            leads.lead_id = lead_field_opportunities.lead_id
            and leads.converted_on = lead_field_opportunities.created_on
)

select * from final
