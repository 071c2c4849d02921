{#-
    No booking dollar lost or double-counted between the company and its
    reps. For all bookings types together and for new business alone:
      org bookings (every won bookings-type opportunity, fct_opportunities)
      = sum over rep quota rows (kpi_rep_attainment)
        - what overlapping quota rows of one user count twice
        + bookings no quota row covers (dq_bookings_without_quota).
    Returns a row per measure that does not reconcile.
-#}
with opportunities as (
    select * from {{ ref('fct_opportunities') }}
    where is_won
        and is_bookings_type
),

reps as (
    select * from {{ ref('kpi_rep_attainment') }}
),

uncovered as (
    select * from {{ ref('dq_bookings_without_quota') }}
),

quotas as (
    select * from {{ ref('stg_crm__quotas') }}
),

-- A deal covered by n quota rows of its owner is in n rep rows.
coverage as (
    select
        opportunities.opportunity_id,
        opportunities.opportunity_type,
        opportunities.arr_amount,
        count(*) as covering_quota_rows
    from opportunities
    inner join quotas
        on opportunities.owner_id = quotas.user_id
            and opportunities.close_date >= quotas.period_start
            and opportunities.close_date <= quotas.period_end
    group by
        opportunities.opportunity_id,
        opportunities.opportunity_type,
        opportunities.arr_amount
),

totals as (
    select
        'bookings_arr' as measure,
        (select coalesce(sum(arr_amount), 0) from opportunities) as org_total,
        (select coalesce(sum(bookings_arr), 0) from reps) as rep_total,
        (select coalesce(sum(arr_amount * (covering_quota_rows - 1)), 0) from coverage) as counted_twice,
        (select coalesce(sum(arr_amount), 0) from uncovered) as without_quota
    union all
    select
        'new_business_arr' as measure,
        (select coalesce(sum(arr_amount), 0) from opportunities where opportunity_type = 'new_business') as org_total,
        (select coalesce(sum(new_business_arr), 0) from reps) as rep_total,
        (
            select coalesce(sum(arr_amount * (covering_quota_rows - 1)), 0) from coverage
            where opportunity_type = 'new_business'
        ) as counted_twice,
        (select coalesce(sum(arr_amount), 0) from uncovered where opportunity_type = 'new_business') as without_quota
    union all
    select
        'won_opportunities' as measure,
        (select count(*) from opportunities) as org_total,
        (select coalesce(sum(won_opportunities), 0) from reps) as rep_total,
        (select coalesce(sum(covering_quota_rows - 1), 0) from coverage) as counted_twice,
        (select count(*) from uncovered) as without_quota
)

select *
from totals
where org_total <> rep_total - counted_twice + without_quota
