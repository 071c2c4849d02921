{#-
    kpi_rep_attainment rolled up per quota period (the period_start and
    period_end of the quota rows) three ways, told apart by rollup_type:
    team (the user's team; `unknown` when the quota's user is unknown),
    manager_direct (manager_id) and manager_tree (everyone below a manager at
    any depth, int_user_hierarchy; the manager's own quota is not in it).
    Every group is within one CRM connection (source_relation is in the
    grain: two connections' teams of the same name are two rows). The same
    aggregates serve the three roll-ups, unioned.
    What each column means: the doc blocks of its yml.
-#}
{%- set aggregates = [
    "count(*) as reps",
    "sum(case when reps.is_ramping = false then 1 else 0 end) as ramped_reps",
    "sum(case when reps.is_at_quota then 1 else 0 end) as reps_at_quota",
    "sum(case when reps.is_at_quota and reps.is_ramping = false then 1 else 0 end) as ramped_reps_at_quota",
    "sum(case when reps.has_left_in_period then 1 else 0 end) as reps_left_in_period",
    "sum(reps.quota_amount) as total_quota_amount",
    "sum(reps.bookings_arr) as total_bookings_arr",
    "sum(reps.new_business_arr) as total_new_business_arr",
    "sum(reps.period_ote) as total_period_ote",
    "sum(reps.pipeline_created_arr) as total_pipeline_created_arr",
    "sum(reps.won_opportunities) as won_opportunities",
    "sum(reps.closed_opportunities) as closed_opportunities",
] -%}

with reps as (select * from {{ ref('kpi_rep_attainment') }}),

hierarchy as (select * from {{ ref('int_user_hierarchy') }}),

users as (select * from {{ ref('dim_users') }}),

by_team as (
    select
        'team' as rollup_type,
        coalesce(reps.team, 'unknown') as rollup_key,
        reps.source_relation,
        reps.period_start,
        reps.period_end,
        {{ aggregates | join(",\n        ") }}
    from reps
    group by
        coalesce(reps.team, 'unknown'),
        reps.source_relation,
        reps.period_start,
        reps.period_end
),

by_manager_direct as (
    select
        'manager_direct' as rollup_type,
        reps.manager_id as rollup_key,
        reps.source_relation,
        reps.period_start,
        reps.period_end,
        {{ aggregates | join(",\n        ") }}
    from reps
    where reps.manager_id is not null
    group by
        reps.manager_id,
        reps.source_relation,
        reps.period_start,
        reps.period_end
),

by_manager_tree as (
    select
        'manager_tree' as rollup_type,
        hierarchy.manager_id as rollup_key,
        reps.source_relation,
        reps.period_start,
        reps.period_end,
        {{ aggregates | join(",\n        ") }}
    from reps
    inner join hierarchy
        on reps.user_id = hierarchy.user_id
    group by
        hierarchy.manager_id,
        reps.source_relation,
        reps.period_start,
        reps.period_end
),

rollups as (
    select * from by_team
    union all
    select * from by_manager_direct
    union all
    select * from by_manager_tree
),

final as (
    select
        rollups.rollup_type,
        rollups.rollup_key,
        rollups.source_relation,
        rollups.period_start,
        rollups.period_end,
        case when rollups.rollup_type = 'team' then rollups.rollup_key end as team,
        case when rollups.rollup_type <> 'team' then rollups.rollup_key end as manager_id,
        managers.full_name as manager_name,
        {{ fiscal_year('rollups.period_end') }} as fiscal_year,
        {{ fiscal_quarter('rollups.period_end') }} as fiscal_quarter,
        rollups.reps,
        cast(rollups.ramped_reps as {{ dbt.type_bigint() }}) as ramped_reps,
        cast(rollups.reps_at_quota as {{ dbt.type_bigint() }}) as reps_at_quota,
        cast(rollups.ramped_reps_at_quota as {{ dbt.type_bigint() }}) as ramped_reps_at_quota,
        {{ ratio('rollups.ramped_reps_at_quota', 'rollups.ramped_reps') }} as pct_reps_at_quota,
        cast(rollups.reps_left_in_period as {{ dbt.type_bigint() }}) as reps_left_in_period,
        cast(rollups.total_quota_amount as {{ type_money() }}) as total_quota_amount,
        cast(rollups.total_bookings_arr as {{ type_money() }}) as total_bookings_arr,
        {{ ratio('rollups.total_bookings_arr', 'rollups.total_quota_amount') }} as attainment,
        cast(rollups.total_new_business_arr as {{ type_money() }}) as total_new_business_arr,
        cast(rollups.total_period_ote as {{ type_money() }}) as total_period_ote,
        cast(rollups.total_pipeline_created_arr as {{ type_money() }}) as total_pipeline_created_arr,
        cast(rollups.won_opportunities as {{ dbt.type_bigint() }}) as won_opportunities,
        cast(rollups.closed_opportunities as {{ dbt.type_bigint() }}) as closed_opportunities,
        {{ ratio('rollups.won_opportunities', 'rollups.closed_opportunities') }} as win_rate,
        rollups.period_end <= {{ as_of_date() }} as is_complete
    from rollups
    left join users as managers
        on
            rollups.rollup_type <> 'team'
            and rollups.rollup_key = managers.user_id
)

select * from final
