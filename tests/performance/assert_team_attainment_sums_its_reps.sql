{#-
    Team and manager totals equal the sum of their reps: every
    kpi_team_attainment row is re-derived from kpi_rep_attainment (team by
    the rep's team, manager_direct by manager_id, manager_tree through
    int_user_hierarchy) and compared count by count, cent by cent; a group
    present on one side only fails too. Also, per quota period, the team
    rows partition the reps: their totals equal the period's rep totals.
-#}
with reps as (
    select * from {{ ref('kpi_rep_attainment') }}
),

teams as (
    select * from {{ ref('kpi_team_attainment') }}
),

hierarchy as (
    select * from {{ ref('int_user_hierarchy') }}
),

rep_groups as (
    select
        'team' as rollup_type,
        coalesce(team, 'unknown') as rollup_key,
        source_relation,
        period_start,
        period_end,
        user_id
    from reps
    union all
    select
        'manager_direct' as rollup_type,
        manager_id as rollup_key,
        source_relation,
        period_start,
        period_end,
        user_id
    from reps
    where manager_id is not null
    union all
    select
        'manager_tree' as rollup_type,
        hierarchy.manager_id as rollup_key,
        reps.source_relation,
        reps.period_start,
        reps.period_end,
        reps.user_id
    from reps
    inner join hierarchy
        on reps.user_id = hierarchy.user_id
),

expected as (
    select
        rep_groups.rollup_type,
        rep_groups.rollup_key,
        rep_groups.source_relation,
        rep_groups.period_start,
        rep_groups.period_end,
        count(*) as reps,
        sum(case when reps.is_ramping = false then 1 else 0 end) as ramped_reps,
        sum(case when reps.is_at_quota then 1 else 0 end) as reps_at_quota,
        sum(reps.quota_amount) as total_quota_amount,
        sum(reps.bookings_arr) as total_bookings_arr,
        sum(reps.won_opportunities) as won_opportunities
    from rep_groups
    inner join reps
        on rep_groups.user_id = reps.user_id
            and rep_groups.period_start = reps.period_start
    group by
        rep_groups.rollup_type,
        rep_groups.rollup_key,
        rep_groups.source_relation,
        rep_groups.period_start,
        rep_groups.period_end
),

compared as (
    select
        coalesce(expected.rollup_type, teams.rollup_type) as rollup_type,
        coalesce(expected.rollup_key, teams.rollup_key) as rollup_key,
        coalesce(expected.period_start, teams.period_start) as period_start,
        expected.reps as expected_reps,
        teams.reps as team_reps,
        expected.total_bookings_arr as expected_bookings_arr,
        teams.total_bookings_arr as team_bookings_arr,
        expected.total_quota_amount as expected_quota_amount,
        teams.total_quota_amount as team_quota_amount
    from expected
    full outer join teams
        on expected.rollup_type = teams.rollup_type
            and expected.rollup_key = teams.rollup_key
            and expected.source_relation = teams.source_relation
            and expected.period_start = teams.period_start
            and expected.period_end = teams.period_end
    where expected.reps is null
        or teams.reps is null
        or expected.reps <> teams.reps
        or expected.ramped_reps <> teams.ramped_reps
        or expected.reps_at_quota <> teams.reps_at_quota
        or expected.total_quota_amount <> teams.total_quota_amount
        or expected.total_bookings_arr <> teams.total_bookings_arr
        or expected.won_opportunities <> teams.won_opportunities
),

period_totals as (
    select
        'period total' as rollup_type,
        'all teams' as rollup_key,
        rep_totals.period_start,
        rep_totals.reps as expected_reps,
        team_totals.reps as team_reps,
        rep_totals.bookings_arr as expected_bookings_arr,
        team_totals.bookings_arr as team_bookings_arr,
        rep_totals.quota_amount as expected_quota_amount,
        team_totals.quota_amount as team_quota_amount
    from (
        select
            period_start,
            period_end,
            count(*) as reps,
            sum(bookings_arr) as bookings_arr,
            sum(quota_amount) as quota_amount
        from reps
        group by period_start, period_end
    ) as rep_totals
    left join (
        select
            period_start,
            period_end,
            sum(reps) as reps,
            sum(total_bookings_arr) as bookings_arr,
            sum(total_quota_amount) as quota_amount
        from teams
        where rollup_type = 'team'
        group by period_start, period_end
    ) as team_totals
        on rep_totals.period_start = team_totals.period_start
            and rep_totals.period_end = team_totals.period_end
    where team_totals.reps is null
        or rep_totals.reps <> team_totals.reps
        or rep_totals.bookings_arr <> team_totals.bookings_arr
        or rep_totals.quota_amount <> team_totals.quota_amount
)

select * from compared
union all
select * from period_totals
