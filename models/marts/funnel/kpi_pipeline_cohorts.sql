{#-
    One row per cohort (the leads created in a week, month or fiscal
    quarter of a CRM connection) and period since its start, k = 0 .. the
    grain's horizon (vars funnel_cohort_horizon_*), for the periods started
    by the as-of date. A lead's opportunity comes from fct_leads; a stage
    reached before the lead was created counts from period 0; is_complete is
    false for the period still running.
    Built to scale: leads are first counted per (creation day, stage-1 day,
    stage-2 day), then per (cohort, period of reach); the cumulation is a
    window over the small cohort x period grid, never a cross join of leads.
    What each column means: the doc blocks of its yml.
-#}
{%- set horizons = {
    'week': var('funnel_cohort_horizon_weeks', 26),
    'month': var('funnel_cohort_horizon_months', 12),
    'quarter': var('funnel_cohort_horizon_quarters', 8),
} -%}
with leads as (select * from {{ ref('fct_leads') }}),

periods as (
    select * from {{ ref('dim_periods') }}
    where
        period_grain in ('week', 'month', 'quarter')
        and period_start <= {{ as_of_date() }}
),

lead_days as (
    select
        source_relation,
        created_on,
        stage1_reached_on,
        stage2_reached_on,
        count(*) as leads
    from leads
    group by
        source_relation,
        created_on,
        stage1_reached_on,
        stage2_reached_on
),

lead_periods as (
    {% for grain in horizons %}
        select
            '{{ grain }}' as cohort_grain,
            source_relation,
            {{ period_start(grain, 'created_on') }} as cohort_start,
            {{ period_start(grain, 'stage1_reached_on') }} as stage1_period_start,
            {{ period_start(grain, 'stage2_reached_on') }} as stage2_period_start,
            leads
        from lead_days
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

cohort_sizes as (
    select
        cohort_grain,
        source_relation,
        cohort_start,
        sum(leads) as cohort_leads
    from lead_periods
    group by
        cohort_grain,
        source_relation,
        cohort_start
),

-- The period each lead reached a stage in; before its cohort started = period 0.
reaches as (
    select
        cohort_grain,
        source_relation,
        cohort_start,
        case when stage1_period_start < cohort_start then cohort_start else stage1_period_start end as reached_period_start,
        leads as reached_stage1,
        0 as reached_stage2
    from lead_periods
    where stage1_period_start is not null
    union all
    select
        cohort_grain,
        source_relation,
        cohort_start,
        case when stage2_period_start < cohort_start then cohort_start else stage2_period_start end as reached_period_start,
        0 as reached_stage1,
        leads as reached_stage2
    from lead_periods
    where stage2_period_start is not null
),

reach_counts as (
    select
        cohort_grain,
        source_relation,
        cohort_start,
        reached_period_start,
        sum(reached_stage1) as reached_stage1,
        sum(reached_stage2) as reached_stage2
    from reaches
    group by
        cohort_grain,
        source_relation,
        cohort_start,
        reached_period_start
),

first_cohorts as (
    select
        cohort_grain,
        source_relation,
        min(cohort_start) as first_cohort_start
    from cohort_sizes
    group by
        cohort_grain,
        source_relation
),

-- Every cohort from the first one to the one running at the as-of date.
cohorts as (
    select
        periods.period_grain as cohort_grain,
        first_cohorts.source_relation,
        periods.period_start as cohort_start,
        periods.period_end as cohort_end,
        coalesce(cohort_sizes.cohort_leads, 0) as cohort_leads
    from periods
    inner join first_cohorts
        on
            periods.period_grain = first_cohorts.cohort_grain
            and periods.period_start >= first_cohorts.first_cohort_start
    left join cohort_sizes
        on
            periods.period_grain = cohort_sizes.cohort_grain
            and periods.period_start = cohort_sizes.cohort_start
            and {{ same_source_relation('first_cohorts', 'cohort_sizes') }}
),

-- Each cohort's periods 0 .. horizon that have started by the as-of date.
grid as (
    select
        cohorts.cohort_grain,
        cohorts.source_relation,
        cohorts.cohort_start,
        cohorts.cohort_end,
        cohorts.cohort_leads,
        periods.period_start,
        periods.period_end,
        periods.is_complete,
        cast(case cohorts.cohort_grain
            when 'week' then {{ dbt.datediff('cohorts.cohort_start', 'periods.period_start', 'day') }} / 7
            when 'month' then {{ dbt.datediff('cohorts.cohort_start', 'periods.period_start', 'month') }}
            else {{ dbt.datediff('cohorts.cohort_start', 'periods.period_start', 'month') }} / 3
        end as {{ dbt.type_int() }}) as periods_since_start
    from cohorts
    inner join periods
        on
            cohorts.cohort_grain = periods.period_grain
            and cohorts.cohort_start <= periods.period_start
            and periods.period_start < case cohorts.cohort_grain
                when 'week' then cast({{ dbt.dateadd('day', 7 * (horizons['week'] + 1), 'cohorts.cohort_start') }} as date)
                when 'month' then cast({{ dbt.dateadd('month', horizons['month'] + 1, 'cohorts.cohort_start') }} as date)
                else cast({{ dbt.dateadd('month', 3 * (horizons['quarter'] + 1), 'cohorts.cohort_start') }} as date)
            end
),

cumulated as (
    select
        grid.cohort_grain,
        grid.source_relation,
        grid.cohort_start,
        grid.cohort_end,
        grid.periods_since_start,
        grid.period_start,
        grid.period_end,
        grid.cohort_leads,
        sum(coalesce(reach_counts.reached_stage1, 0)) over (
            partition by grid.cohort_grain, grid.source_relation, grid.cohort_start
            order by grid.periods_since_start
            rows between unbounded preceding and current row
        ) as reached_stage1,
        sum(coalesce(reach_counts.reached_stage2, 0)) over (
            partition by grid.cohort_grain, grid.source_relation, grid.cohort_start
            order by grid.periods_since_start
            rows between unbounded preceding and current row
        ) as reached_stage2,
        grid.is_complete
    from grid
    left join reach_counts
        on
            grid.cohort_grain = reach_counts.cohort_grain
            and grid.cohort_start = reach_counts.cohort_start
            and grid.period_start = reach_counts.reached_period_start
            and {{ same_source_relation('grid', 'reach_counts') }}
),

final as (
    select
        cohort_grain,
        source_relation,
        cohort_start,
        cohort_end,
        periods_since_start,
        period_start,
        period_end,
        cast(cohort_leads as {{ dbt.type_bigint() }}) as cohort_leads,
        cast(reached_stage1 as {{ dbt.type_bigint() }}) as reached_stage1,
        cast(reached_stage2 as {{ dbt.type_bigint() }}) as reached_stage2,
        {{ ratio('reached_stage1', 'cohort_leads') }} as stage1_conversion_rate,
        {{ ratio('reached_stage2', 'cohort_leads') }} as stage2_conversion_rate,
        is_complete
    from cumulated
)

select * from final
