{#-
    Both attainment marts publish the product targets: kpi_org_attainment
    every target, kpi_product_launch_attainment the product ones. They must
    agree on each (one measurement, int_target_attainment): returns every
    product target missing from either mart, or measured differently in
    them (actual, attainment, pace, gap, elapsed days; supported = measured).
-#}
with org as (
    select * from {{ ref('kpi_org_attainment') }}
    where product_id is not null
),

product_launch as (
    select * from {{ ref('kpi_product_launch_attainment') }}
),

compared as (
    select
        coalesce(org.metric, product_launch.metric) as metric,
        coalesce(org.segment, product_launch.segment) as segment,
        coalesce(org.product_id, product_launch.product_id) as product_id,
        coalesce(org.period_start, product_launch.period_start) as period_start,
        coalesce(org.period_end, product_launch.period_end) as period_end,
        org.actual_value as org_actual_value,
        product_launch.actual_value as product_launch_actual_value,
        case
            when org.target_id is null then 'missing from kpi_org_attainment'
            when product_launch.product_id is null then 'missing from kpi_product_launch_attainment'
            when org.target_value <> product_launch.target_value then 'target_value'
            when org.actual_value is distinct from product_launch.actual_value then 'actual_value'
            when org.attainment is distinct from product_launch.attainment then 'attainment'
            when org.pace is distinct from product_launch.pace then 'pace'
            when org.gap is distinct from product_launch.gap then 'gap'
            when org.days_elapsed <> product_launch.days_elapsed or org.days_in_period <> product_launch.days_in_period then 'days'
            when (org.metric_status = 'measured') <> product_launch.is_supported_metric then 'is_supported_metric'
        end as disagreement
    from org
    full outer join product_launch
        on
            org.product_id = product_launch.product_id
            and org.metric = product_launch.metric
            and org.period_start = product_launch.period_start
            and org.period_end = product_launch.period_end
            and (org.segment = product_launch.segment or (org.segment is null and product_launch.segment is null))
)

select * from compared
where disagreement is not null
