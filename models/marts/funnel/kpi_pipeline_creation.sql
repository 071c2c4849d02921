{#-
    One row per period grain, period start, CRM connection (source_relation),
    level (company, and the owner's team, manager and the owner: owner_levels),
    segment and lead source where an opportunity reached stage 1 or 2, over
    the bookings-type opportunities of fct_opportunities (var
    bookings_opportunity_types). Stage entries are first counted per day,
    segment, lead source and owner, counted at each level, then summed per
    grain; the stage-1 cohort's stage-2 reach is taken as of the as-of date.
    What each column means: the doc blocks of its yml.
-#}
{%- set measures = ['stage1_opportunities', 'stage1_pipeline_arr', 'stage1_cohort_reached_stage2', 'stage2_opportunities', 'stage2_pipeline_arr'] -%}
with opportunities as (
    select * from {{ ref('fct_opportunities') }}
    where is_bookings_type
),

periods as (select * from {{ ref('dim_periods') }}),

-- One row per day, segment, lead source and owner for each stage reached, so
-- the per-grain aggregation reads few rows.
stage1_daily as (
    select
        cast(stage1_reached_at as date) as reached_on,
        source_relation,
        segment,
        lead_source,
        owner_id,
        count(*) as stage1_opportunities,
        sum(arr_amount) as stage1_pipeline_arr,
        sum(case when stage2_reached_at is not null then 1 else 0 end) as stage1_cohort_reached_stage2
    from opportunities
    where stage1_reached_at is not null
    group by
        cast(stage1_reached_at as date),
        source_relation,
        segment,
        lead_source,
        owner_id
),

stage2_daily as (
    select
        cast(stage2_reached_at as date) as reached_on,
        source_relation,
        segment,
        lead_source,
        owner_id,
        count(*) as stage2_opportunities,
        sum(arr_amount) as stage2_pipeline_arr
    from opportunities
    where stage2_reached_at is not null
    group by
        cast(stage2_reached_at as date),
        source_relation,
        segment,
        lead_source,
        owner_id
),

daily as (
    {{ union_measures({
        'stage1_daily': ['stage1_opportunities', 'stage1_pipeline_arr', 'stage1_cohort_reached_stage2'],
        'stage2_daily': ['stage2_opportunities', 'stage2_pipeline_arr'],
    }, ['reached_on', 'source_relation', 'segment', 'lead_source', 'owner_id'], measures) }}
),

leveled as (
    {{ owner_levels('daily') }}
),

by_period as (
    {{ union_by_period_grain('leveled', 'reached_on', ['source_relation', 'level', 'level_key', 'segment', 'lead_source'], sum_columns(measures)) }}
),

final as (
    select
        by_period.period_grain,
        by_period.period_start,
        periods.period_end,
        by_period.source_relation,
        by_period.level,
        by_period.level_key,
        {{ level_name('by_period') }} as level_name,
        by_period.segment,
        by_period.lead_source,
        cast(by_period.stage1_opportunities as {{ dbt.type_bigint() }}) as stage1_opportunities,
        cast(by_period.stage1_pipeline_arr as {{ type_money() }}) as stage1_pipeline_arr,
        cast(by_period.stage2_opportunities as {{ dbt.type_bigint() }}) as stage2_opportunities,
        cast(by_period.stage2_pipeline_arr as {{ type_money() }}) as stage2_pipeline_arr,
        cast(by_period.stage1_cohort_reached_stage2 as {{ dbt.type_bigint() }}) as stage1_cohort_reached_stage2,
        {{ ratio('by_period.stage1_cohort_reached_stage2', 'by_period.stage1_opportunities') }} as stage1_to_stage2_rate,
        periods.is_complete
    from by_period
    inner join periods
        on {{ same_keys('by_period', 'periods', ['period_grain', 'period_start']) }}
    {{ level_users_join('by_period') }}
)

select * from final
