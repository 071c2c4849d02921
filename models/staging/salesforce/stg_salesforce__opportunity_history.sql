{#-
    Salesforce OpportunityHistory as contract `opportunity_history`: the
    close date, amount and forecast category after each saved change, at
    CreatedDate (a history-mode copy of Opportunity: every version, at
    _fivetran_start). Each row carries the opportunity's whole state, also
    when the save changed only its stage. Two rows saved at the same moment
    keep the last one (by Id).
-#}
with history as (select * from {{ ref('base_salesforce__opportunity_history') }}),

ranked as (
    select
        opportunity_id,
        entered_at as changed_at,
        close_date,
        amount,
        forecast_category,
        source_relation,
        row_number() over (
            partition by opportunity_id, entered_at
            order by history_id desc
        ) as save_rank
    from history
),

final as (
    select
        opportunity_id,
        changed_at,
        close_date,
        amount,
        forecast_category,
        source_relation
    from ranked
    where save_rank = 1
)

select * from final
