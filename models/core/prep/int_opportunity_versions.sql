{#-
    What was expected of each opportunity over time: one row per version of
    its expected close date and amount, valid from valid_from up to (not
    including) valid_until (null: still valid at the as-of date). A deal as
    known at a date T is its version valid at T's end (docs/decisions/0032-the-deal-as-known-at-a-date.md).
    - Saved versions: the opportunity_history rows saved by the as-of date
      (is_saved). A row's null close_date or amount kept the previous value;
      before the first non-null one, the opportunity's current value.
    - The stand-in: before a deal's first saved row (from its creation), and
      for a deal without history (or without the optional table), its
      current close_date and amount.
    - arr_amount: the amount (null and negative = 0) in the reporting
      currency at the version's close date (latest rate on or before it,
      rounded to cents as in fct_opportunities); a close date before any
      rate of the currency converts at the rate of the current close date.
    - previous_close_date: the close date of the saved version before
      (null for the first saved one and the stand-in), for slips and pull-ins.
-#}
with opportunities as (
    select * from {{ ref('stg_crm__opportunities') }}
    where created_at < {{ as_of_cutoff() }}
),

history as (
    select * from {{ ref('stg_crm__opportunity_history') }}
    where changed_at < {{ as_of_cutoff() }}
),

fx as (select * from {{ ref('int_exchange_rate_ranges') }}),

-- Saved rows of known opportunities, with how many non-null values each
-- column has had so far: a run of rows with the same count shares a value.
saved as (
    select
        history.opportunity_id,
        history.changed_at,
        history.close_date,
        history.amount,
        count(history.close_date) over (
            partition by history.opportunity_id order by history.changed_at
            rows between unbounded preceding and current row
        ) as close_date_run,
        count(history.amount) over (
            partition by history.opportunity_id order by history.changed_at
            rows between unbounded preceding and current row
        ) as amount_run
    from history
    inner join opportunities
        on history.opportunity_id = opportunities.opportunity_id
),

saved_filled as (
    select
        opportunity_id,
        changed_at,
        close_date_run,
        amount_run,
        max(close_date) over (partition by opportunity_id, close_date_run) as run_close_date,
        max(amount) over (partition by opportunity_id, amount_run) as run_amount
    from saved
),

saved_versions as (
    select
        saved_filled.opportunity_id,
        true as is_saved,
        saved_filled.changed_at as valid_from,
        lead(saved_filled.changed_at) over (
            partition by saved_filled.opportunity_id order by saved_filled.changed_at
        ) as valid_until,
        case when saved_filled.close_date_run > 0 then saved_filled.run_close_date else opportunities.close_date end as close_date,
        case when saved_filled.amount_run > 0 then saved_filled.run_amount else opportunities.raw_amount end as amount
    from saved_filled
    inner join opportunities
        on saved_filled.opportunity_id = opportunities.opportunity_id
),

first_saved as (
    select
        opportunity_id,
        min(valid_from) as first_saved_at
    from saved_versions
    group by opportunity_id
),

stand_ins as (
    select
        opportunities.opportunity_id,
        false as is_saved,
        opportunities.created_at as valid_from,
        first_saved.first_saved_at as valid_until,
        opportunities.close_date,
        opportunities.raw_amount as amount
    from opportunities
    left join first_saved
        on opportunities.opportunity_id = first_saved.opportunity_id
    where first_saved.first_saved_at is null or first_saved.first_saved_at > opportunities.created_at
),

stacked_versions as (
    select * from saved_versions
    union all
    select * from stand_ins
),

versions as (
    select
        *,
        case
            when is_saved then lag(close_date) over (partition by opportunity_id, is_saved order by valid_from)
        end as previous_close_date
    from stacked_versions
),

-- Rates looked up once per distinct (currency, date).
conversion_dates as (
    select distinct
        opportunities.currency,
        versions.close_date
    from versions
    inner join opportunities
        on versions.opportunity_id = opportunities.opportunity_id
    union
    select
        currency,
        close_date
    from opportunities
),

conversion_rates as (
    select
        conversion_dates.currency,
        conversion_dates.close_date,
        fx.rate_to_reporting
    from conversion_dates
    inner join fx
        on {{ fx_rate_join('fx', 'conversion_dates.currency', 'conversion_dates.close_date') }}
),

final as (
    select
        versions.opportunity_id,
        versions.is_saved,
        versions.valid_from,
        versions.valid_until,
        versions.close_date,
        versions.previous_close_date,
        versions.amount,
        cast(
            (case when versions.amount > 0 then versions.amount else 0 end)
            * coalesce(version_rates.rate_to_reporting, current_rates.rate_to_reporting)
            as {{ type_money() }}
        ) as arr_amount
    from versions
    inner join opportunities
        on versions.opportunity_id = opportunities.opportunity_id
    left join conversion_rates as version_rates
        on
            opportunities.currency = version_rates.currency
            and versions.close_date = version_rates.close_date
    left join conversion_rates as current_rates
        on
            opportunities.currency = current_rates.currency
            and opportunities.close_date = current_rates.close_date
)

select * from final
