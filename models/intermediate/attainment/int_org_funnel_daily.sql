{#-
    The funnel counts that targets are set on, per day: sqls (leads whose
    sql_at falls on the day; leads carry no segment or product) and
    stage1_opportunities (bookings-type opportunities that first reached
    stage 1 on the day, by account segment and product). The same definitions
    as kpi_lead_generation.sqls and kpi_pipeline_creation.stage1_opportunities;
    this is the one place kpi_org_attainment reads them from.
-#}
with leads as (
    select * from {{ ref('stg_crm__leads') }}
    where
        created_at < {{ as_of_cutoff() }}
        and sql_at < {{ as_of_cutoff() }}
),

opportunities as (
    select * from {{ ref('fct_opportunities') }}
    where
        is_bookings_type
        and stage1_reached_at is not null
),

sqls as (
    select
        'sqls' as metric,
        cast(sql_at as date) as metric_date,
        cast(null as {{ dbt.type_string() }}) as segment,
        cast(null as {{ dbt.type_string() }}) as product_id,
        count(*) as metric_count
    from leads
    group by cast(sql_at as date)
),

stage1_opportunities as (
    select
        'stage1_opportunities' as metric,
        cast(stage1_reached_at as date) as metric_date,
        segment,
        product_id,
        count(*) as metric_count
    from opportunities
    group by
        cast(stage1_reached_at as date),
        segment,
        product_id
)

select * from sqls
union all
select * from stage1_opportunities
