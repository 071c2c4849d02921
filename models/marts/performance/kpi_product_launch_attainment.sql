{#-
    One row per product target (a targets row with a product_id): the metric
    measured for the product over the target period up to the as-of date,
    against the target (the same columns as kpi_org_attainment).
    - ARR movement metrics (net_new_arr, new_arr, reactivation_arr,
      expansion_arr, contraction_arr, churned_arr, new_customers,
      churned_customers) sum the product's months whose month end falls in
      the period (the current month measured at the as-of date);
    - bookings metrics (bookings_arr, new_business_arr, won_opportunities)
      count won deals of the product closed in the period, by day.
    A target with a segment counts the accounts of that segment only.
    Other metrics have actual_value null and is_supported_metric false.
    Targets of periods that have not started have actual 0.
-#}
{%- set movement_metrics = ["net_new_arr", "new_arr", "reactivation_arr", "expansion_arr", "contraction_arr", "churned_arr", "new_customers", "churned_customers"] -%}
{%- set bookings_metrics = ["bookings_arr", "new_business_arr", "won_opportunities"] -%}

with targets as (
    select * from {{ ref('stg_crm__targets') }}
    where product_id is not null
),

products as (
    select * from {{ ref('stg_crm__products') }}
),

activity as (
    select * from {{ ref('int_product_activity_monthly') }}
),

opportunities as (
    select * from {{ ref('fct_opportunities') }}
    where
        is_won
        and product_id is not null
),

months as (
    select distinct
        month_start,
        month_end
    from {{ ref('dim_dates') }}
),

movements_by_month as (
    select
        activity.product_id,
        activity.segment,
        months.month_end,
        activity.ending_arr - activity.starting_arr as net_new_arr,
        activity.new_arr,
        activity.reactivation_arr,
        activity.expansion_arr,
        activity.contraction_arr,
        activity.churned_arr,
        activity.new_customers,
        activity.churned_customers
    from activity
    inner join months
        on activity.month_start = months.month_start
),

bookings_by_day as (
    select
        product_id,
        segment,
        close_date,
        sum(case when is_bookings_type then arr_amount else 0 end) as bookings_arr,
        sum(case when opportunity_type = 'new_business' then arr_amount else 0 end) as new_business_arr,
        sum(case when is_bookings_type then 1 else 0 end) as won_opportunities
    from opportunities
    group by
        product_id,
        segment,
        close_date
),

movement_actuals as (
    {{- product_target_actuals('movements_by_month', movement_metrics, 'month_end') }}
),

bookings_actuals as (
    {{- product_target_actuals('bookings_by_day', bookings_metrics, 'close_date') }}
),

actuals as (
    select * from movement_actuals
    union all
    select * from bookings_actuals
),

joined as (
    select
        targets.product_id,
        targets.metric,
        targets.segment,
        targets.period_start,
        targets.period_end,
        coalesce(products.source_relation, {{ source_relation_of_key('targets.product_id') }}) as source_relation,
        products.product_name,
        targets.target_value,
        targets.metric in ('{{ (movement_metrics + bookings_metrics) | join("', '") }}') as is_supported_metric,
        actuals.actual_value,
        {{ dbt.datediff('targets.period_start', 'targets.period_end', 'day') }} + 1 as days_in_period,
        case
            when {{ as_of_date() }} < targets.period_start then 0
            when {{ as_of_date() }} >= targets.period_end then {{ dbt.datediff('targets.period_start', 'targets.period_end', 'day') }} + 1
            else {{ dbt.datediff('targets.period_start', as_of_date(), 'day') }} + 1
        end as days_elapsed
    from targets
    left join products
        on targets.product_id = products.product_id
    left join actuals
        on
            targets.product_id = actuals.product_id
            and targets.metric = actuals.metric
            and coalesce(targets.segment, '') = coalesce(actuals.segment, '')
            and targets.period_start = actuals.period_start
            and targets.period_end = actuals.period_end
),

measured as (
    select
        product_id,
        metric,
        segment,
        period_start,
        period_end,
        source_relation,
        product_name,
        target_value,
        case when is_supported_metric then coalesce(actual_value, 0) end as actual_value,
        days_in_period,
        days_elapsed,
        is_supported_metric
    from joined
),

final as (
    select
        product_id,
        metric,
        segment,
        period_start,
        period_end,
        source_relation,
        product_name,
        cast(target_value as {{ type_amount() }}) as target_value,
        cast(actual_value as {{ type_amount() }}) as actual_value,
        {{ ratio('actual_value', 'target_value') }} as attainment,
        cast(target_value - actual_value as {{ type_amount() }}) as gap,
        days_in_period,
        days_elapsed,
        {{ ratio('days_elapsed', 'days_in_period') }} as pct_period_elapsed,
        {{ ratio(ratio('actual_value', 'target_value'), ratio('days_elapsed', 'days_in_period')) }} as pace,
        is_supported_metric,
        period_end <= {{ as_of_date() }} as is_complete
    from measured
)

select * from final
