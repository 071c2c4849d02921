{#-
    One row per opportunity that exists at the as-of date (created before the
    cutoff, not deleted), with its amount in the reporting currency, its
    status at the as-of date, and when it first reached stages 1 and 2.
    - arr_amount: amount converted at the close date (expected close date
      when open) with the latest rate on or before it, rounded to cents.
    - Closed at the as-of date = current stage closed and close_date <= as-of
      (a deal lost, reopened and won counts once, as won, on its final close
      date); an open deal past its expected close date stays open.
-#}
with opportunities as (
    select * from {{ ref('stg_crm__opportunities') }}
    where created_at < {{ as_of_cutoff() }}
),

accounts as (
    select * from {{ ref('stg_crm__accounts') }}
),

leads as (
    select * from {{ ref('stg_crm__leads') }}
    where created_at < {{ as_of_cutoff() }}
),

stages as (
    select * from {{ ref('stg_crm__stages') }}
),

stage_entries as (
    select * from {{ ref('int_opportunity_stage_entries') }}
),

stages_reached as (
    select * from {{ ref('int_opportunity_stages_reached') }}
),

fx as (
    select * from {{ ref('int_exchange_rate_ranges') }}
),

-- The lead of an opportunity: its lead_id when that lead exists, else the
-- lead that names it as converted_opportunity_id.
converting_leads as (
    select
        converted_opportunity_id as opportunity_id,
        min(lead_id) as lead_id
    from leads
    where converted_opportunity_id is not null
    group by converted_opportunity_id
),

latest_entries as (
    select
        opportunity_id,
        stage_name,
        stage_number,
        row_number() over (
            partition by opportunity_id
            order by entered_at desc, is_won desc, stage_name asc
        ) as entry_rank
    from stage_entries
),

reached_pivot as (
    select
        opportunity_id,
        min(case when stage_number = 1 then first_reached_at end) as stage1_reached_at,
        min(case when stage_number = 2 then first_reached_at end) as stage2_reached_at
    from stages_reached
    group by opportunity_id
),

joined as (
    select
        opportunities.opportunity_id,
        opportunities.account_id,
        opportunities.owner_id,
        opportunities.sourced_by_id,
        coalesce(leads.lead_id, converting_leads.lead_id) as lead_id,
        opportunities.product_id,
        coalesce(accounts.segment, 'unknown') as segment,
        coalesce(lead_of_opportunity.lead_source, 'none') as lead_source,
        opportunities.opportunity_type,
        opportunities.stage_name,
        stages.stage_number,
        latest_entries.stage_name as as_of_stage_name,
        latest_entries.stage_number as as_of_stage_number,
        stages.forecast_probability,
        opportunities.currency,
        opportunities.amount,
        fx.rate_to_reporting as fx_rate,
        cast(opportunities.amount * fx.rate_to_reporting as {{ type_money() }}) as arr_amount,
        stages.is_closed and opportunities.close_date <= {{ as_of_date() }} as is_closed,
        stages.is_won and opportunities.close_date <= {{ as_of_date() }} as is_won,
        opportunities.opportunity_type in (
            {%- for opportunity_type in var('bookings_opportunity_types') -%}
                '{{ opportunity_type }}'{% if not loop.last %}, {% endif %}
            {%- endfor -%}
        ) as is_bookings_type,
        opportunities.created_at,
        cast(opportunities.created_at as date) as created_on,
        opportunities.close_date,
        reached_pivot.stage1_reached_at,
        reached_pivot.stage2_reached_at
    from opportunities
    left join accounts
        on opportunities.account_id = accounts.account_id
    left join leads
        on opportunities.lead_id = leads.lead_id
    left join converting_leads
        on opportunities.opportunity_id = converting_leads.opportunity_id
    left join leads as lead_of_opportunity
        on coalesce(leads.lead_id, converting_leads.lead_id) = lead_of_opportunity.lead_id
    left join stages
        on opportunities.stage_name = stages.stage_name
    left join latest_entries
        on
            opportunities.opportunity_id = latest_entries.opportunity_id
            and latest_entries.entry_rank = 1
    left join reached_pivot
        on opportunities.opportunity_id = reached_pivot.opportunity_id
    left join fx
        on {{ fx_rate_join('fx', 'opportunities.currency', 'opportunities.close_date') }}
),

final as (
    select
        opportunity_id,
        account_id,
        owner_id,
        sourced_by_id,
        lead_id,
        product_id,
        segment,
        lead_source,
        opportunity_type,
        stage_name,
        stage_number,
        as_of_stage_name,
        as_of_stage_number,
        currency,
        amount,
        fx_rate,
        arr_amount,
        forecast_probability,
        case
            when is_won then {{ dbt.datediff('created_on', 'close_date', 'day') }}
        end as sales_cycle_days,
        is_closed,
        is_won,
        is_closed and not is_won as is_lost,
        not is_closed as is_open,
        is_bookings_type,
        created_at,
        created_on,
        close_date,
        stage1_reached_at,
        stage2_reached_at
    from joined
)

select * from final
