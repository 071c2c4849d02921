{#-
    Every opportunity open at each date the forward view is seen at (the
    as-of date, and the prior dates of int_forward_periods), as known then
    (docs/decisions/0032-the-deal-as-known-at-a-date.md):
    - open at T: created by T and not closed at T (its current stage closed
      and close date on or before T: a deal closed after T was open at T);
    - its stage at T: the last stage it entered by T (stage history; without
      history, its current stage), ties as in fct_opportunities (both:
      latest_stage_entries); its forecast category that stage's (dim_stages);
    - its expected close date and arr_amount at T: its version valid at T's
      end (int_opportunity_versions).
-#}
with periods as (select * from {{ ref('int_forward_periods') }}),

opportunities as (select * from {{ ref('fct_opportunities') }}),

stage_entries as (select * from {{ ref('int_opportunity_stage_entries') }}),

versions as (select * from {{ ref('int_opportunity_versions') }}),

stages as (select * from {{ ref('dim_stages') }}),

snapshot_dates as (
    select as_of_date as snapshot_date from periods
    union
    select prior_as_of_date as snapshot_date from periods
),

dated as (
    select
        snapshot_date,
        cast({{ dbt.dateadd('day', 1, 'snapshot_date') }} as {{ dbt.type_timestamp() }}) as snapshot_cutoff
    from snapshot_dates
),

open_deals as (
    select
        dated.snapshot_date,
        dated.snapshot_cutoff,
        opportunities.opportunity_id,
        opportunities.owner_id,
        opportunities.opportunity_type,
        opportunities.is_bookings_type
    from dated
    inner join opportunities
        on
            dated.snapshot_cutoff > opportunities.created_at
            and not (opportunities.is_closed and dated.snapshot_date >= opportunities.close_date)
),

latest_entries as (
    {{ latest_stage_entries('stage_entries', 'open_deals', 'snapshot_date') }}
),

final as (
    select
        open_deals.snapshot_date,
        open_deals.opportunity_id,
        open_deals.owner_id,
        open_deals.opportunity_type,
        open_deals.is_bookings_type,
        latest_entries.stage_name,
        stages.stage_number,
        stages.forecast_category,
        versions.close_date as expected_close_date,
        versions.arr_amount
    from open_deals
    left join latest_entries
        on
            open_deals.snapshot_date = latest_entries.snapshot_date
            and open_deals.opportunity_id = latest_entries.opportunity_id
    left join stages
        on latest_entries.stage_name = stages.stage_name
    left join versions
        on
            open_deals.opportunity_id = versions.opportunity_id
            and open_deals.snapshot_cutoff > versions.valid_from
            and (versions.valid_until is null or open_deals.snapshot_cutoff <= versions.valid_until)
)

select * from final
