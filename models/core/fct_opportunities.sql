{#-
    One row per opportunity that exists at the as-of date (created before the
    cutoff, not deleted), with its amount in the reporting currency, its
    status at the as-of date, and when it first reached stages 1 and 2.
    - arr_amount: amount converted at the close date (expected close date
      when open; the as-of date for an open deal without one) with the
      latest rate on or before it, rounded to cents.
    - close_date: as delivered; an open deal may have none (it stays out of
      everything dated by close date). A closed deal delivered without one
      takes the day it entered its current (closed) stage in the stage
      history, else the day of updated_at, else of created_at (both are
      listed in dq_record_issues).
    - Closed at the as-of date = current stage closed and close_date <= as-of
      (a deal lost, reopened and won counts once, as won, on its final close
      date); an open deal past its expected close date stays open.
-#}
with opportunities as (
    select * from {{ ref('stg_crm__opportunities') }}
    where created_at < {{ as_of_cutoff() }}
),

accounts as (select * from {{ ref('stg_crm__accounts') }}),

leads as (
    select * from {{ ref('stg_crm__leads') }}
    where created_at < {{ as_of_cutoff() }}
),

stages as (select * from {{ ref('stg_crm__stages') }}),

history as (select * from {{ ref('stg_crm__opportunity_stage_history') }}),

stage_entries as (select * from {{ ref('int_opportunity_stage_entries') }}),

stages_reached as (select * from {{ ref('int_opportunity_stages_reached') }}),

fx as (select * from {{ ref('int_exchange_rate_ranges') }}),

-- The lead of an opportunity: its lead_id when that lead exists, else the
-- (smallest) lead that names it as converted_opportunity_id. Leads are read
-- once and cut to those an opportunity can point at before any join, so the
-- cost is one scan of the leads, not one hash join over all of them per use.
candidate_leads as (
    select
        lead_id,
        converted_opportunity_id,
        lead_source
    from leads
    where
        converted_opportunity_id is not null
        or lead_id in (select opportunities.lead_id from opportunities)
),

lead_matches as (
    select
        opportunities.opportunity_id,
        candidate_leads.lead_id,
        candidate_leads.lead_source,
        1 as match_priority
    from opportunities
    inner join candidate_leads
        on opportunities.lead_id = candidate_leads.lead_id
    union all
    select
        converted_opportunity_id as opportunity_id,
        lead_id,
        lead_source,
        2 as match_priority
    from candidate_leads
    where converted_opportunity_id is not null
),

ranked_lead_matches as (
    select
        opportunity_id,
        lead_id,
        lead_source,
        row_number() over (
            partition by opportunity_id
            order by match_priority, lead_id
        ) as match_rank
    from lead_matches
),

opportunity_leads as (
    select
        opportunity_id,
        lead_id,
        lead_source
    from ranked_lead_matches
    where match_rank = 1
),

-- The latest stage entered by the as-of date.
latest_entries as (
    {{ latest_stage_entries('stage_entries') }}
),

reached_pivot as (
    select
        opportunity_id,
        min(case when stage_number = 1 then first_reached_at end) as stage1_reached_at,
        min(case when stage_number = 2 then first_reached_at end) as stage2_reached_at
    from stages_reached
    where stage_number in (1, 2)
    group by opportunity_id
),

-- The latest entry into the current stage of each deal delivered without a
-- close date (its closing day, when that stage is closed).
current_stage_entries as (
    select
        history.opportunity_id,
        max(history.entered_at) as entered_at
    from history
    inner join opportunities
        on
            history.opportunity_id = opportunities.opportunity_id
            and history.stage_name = opportunities.stage_name
    where opportunities.close_date is null
    group by history.opportunity_id
),

-- The close date (repaired for a closed deal without one) and the day the
-- amount is converted at: the close date, or the as-of date when undated.
close_dates as (
    select
        opportunities.opportunity_id,
        opportunities.currency,
        case
            when opportunities.close_date is not null or not stages.is_closed then opportunities.close_date
            else coalesce(
                cast(current_stage_entries.entered_at as date),
                cast(opportunities.updated_at as date),
                cast(opportunities.created_at as date)
            )
        end as close_date
    from opportunities
    left join stages
        on opportunities.stage_name = stages.stage_name
    left join current_stage_entries
        on opportunities.opportunity_id = current_stage_entries.opportunity_id
),

-- Exchange rates looked up once per distinct (currency, conversion date):
-- the range join then runs over a few thousand pairs instead of every deal.
conversion_dates as (
    select distinct
        currency,
        coalesce(close_date, {{ as_of_date() }}) as conversion_date
    from close_dates
),

conversion_rates as (
    select
        conversion_dates.currency,
        conversion_dates.conversion_date,
        fx.rate_to_reporting
    from conversion_dates
    inner join fx
        on {{ fx_rate_join('fx', 'conversion_dates.currency', 'conversion_dates.conversion_date') }}
),

joined as (
    select
        opportunities.opportunity_id,
        opportunities.account_id,
        opportunities.owner_id,
        opportunities.sourced_by_id,
        opportunity_leads.lead_id,
        opportunities.product_id,
        opportunities.source_relation,
        coalesce(accounts.segment, 'unknown') as segment,
        coalesce(opportunity_leads.lead_source, 'none') as lead_source,
        opportunities.opportunity_type,
        opportunities.stage_name,
        stages.stage_number,
        latest_entries.stage_name as as_of_stage_name,
        latest_entries.stage_number as as_of_stage_number,
        stages.forecast_probability,
        opportunities.currency,
        opportunities.amount,
        conversion_rates.rate_to_reporting as fx_rate,
        cast(opportunities.amount * conversion_rates.rate_to_reporting as {{ type_money() }}) as arr_amount,
        coalesce(stages.is_closed and close_dates.close_date <= {{ as_of_date() }}, false) as is_closed,
        coalesce(stages.is_won and close_dates.close_date <= {{ as_of_date() }}, false) as is_won,
        opportunities.opportunity_type in (
            {%- for opportunity_type in var('bookings_opportunity_types') -%}
                '{{ opportunity_type }}'{% if not loop.last %}, {% endif %}
            {%- endfor -%}
        ) as is_bookings_type,
        opportunities.created_at,
        cast(opportunities.created_at as date) as created_on,
        close_dates.close_date,
        reached_pivot.stage1_reached_at,
        reached_pivot.stage2_reached_at
    from opportunities
    inner join close_dates
        on opportunities.opportunity_id = close_dates.opportunity_id
    left join accounts
        on opportunities.account_id = accounts.account_id
    left join opportunity_leads
        on opportunities.opportunity_id = opportunity_leads.opportunity_id
    left join stages
        on opportunities.stage_name = stages.stage_name
    left join latest_entries
        on opportunities.opportunity_id = latest_entries.opportunity_id
    left join reached_pivot
        on opportunities.opportunity_id = reached_pivot.opportunity_id
    left join conversion_rates
        on
            opportunities.currency = conversion_rates.currency
            and coalesce(close_dates.close_date, {{ as_of_date() }}) = conversion_rates.conversion_date
),

final as (
    select
        opportunity_id,
        account_id,
        owner_id,
        sourced_by_id,
        lead_id,
        product_id,
        source_relation,
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
