{#-
    One row per month, CRM connection (source_relation) and segment, from
    int_account_arr_movements summed (arr_movement_sums), and per fiscal
    quarter and fiscal year by summing their months (starting ARR from the
    first month, ending ARR from the last). Months run from the first month
    end with ARR to the as-of month, measured to the as-of date (its
    measured_through; is_complete false); every connection and segment gets
    a row every month (zeros when nothing happened), so quarter and year
    rows always start at their first month.
    What each column means: the doc blocks of its yml.
-#}
{%- set arr_columns = ['starting_arr', 'new_arr', 'reactivation_arr', 'expansion_arr', 'contraction_arr', 'churned_arr', 'ending_arr'] -%}
{%- set customer_columns = ['starting_customers', 'new_customers', 'reactivated_customers', 'expanded_customers',
                            'contracted_customers', 'churned_customers', 'ending_customers'] -%}
{%- set movement_columns = arr_columns + customer_columns -%}
with movements as (select * from {{ ref('int_account_arr_movements') }}),

periods as (select * from {{ ref('dim_periods') }}),

-- Every connection and segment every month to the as-of month, so a month
-- without movements still carries its ARR.
spine as (
    {{ arr_month_spine('periods', 'movements') }}
),

monthly_by_segment as (
    select
        source_relation,
        segment,
        month_start,
        {{ arr_movement_sums() }}
    from movements
    group by
        source_relation,
        segment,
        month_start
),

monthly as (
    select
        spine.source_relation,
        spine.segment,
        spine.month_start,
        spine.measured_through,
        {{ coalesce_columns(movement_columns, 'monthly_by_segment') }}
    from spine
    left join monthly_by_segment
        on {{ same_keys('spine', 'monthly_by_segment', ['month_start', 'source_relation', 'segment']) }}
),

-- Each month in its month, fiscal quarter and fiscal year.
months_in_periods as (
    select
        periods.period_grain,
        periods.period_start,
        monthly.*,
        min(monthly.month_start) over (partition by periods.period_grain, periods.period_start, monthly.source_relation, monthly.segment) as first_month_start,
        max(monthly.month_start) over (partition by periods.period_grain, periods.period_start, monthly.source_relation, monthly.segment) as last_month_start
    from monthly
    inner join periods
        on
            periods.period_grain in ('month', 'quarter', 'year')
            and {{ in_period('monthly.month_start', 'periods.period_start', 'periods.period_end') }}
),

by_period as (
    select
        period_grain,
        period_start,
        source_relation,
        segment,
        max(measured_through) as measured_through,
        count(*) as months,
        sum(case when month_start = first_month_start then starting_arr else 0 end) as starting_arr,
        sum(new_arr) as new_arr,
        sum(reactivation_arr) as reactivation_arr,
        sum(expansion_arr) as expansion_arr,
        sum(contraction_arr) as contraction_arr,
        sum(churned_arr) as churned_arr,
        sum(case when month_start = last_month_start then ending_arr else 0 end) as ending_arr,
        sum(case when month_start = first_month_start then starting_customers else 0 end) as starting_customers,
        sum(new_customers) as new_customers,
        sum(reactivated_customers) as reactivated_customers,
        sum(expanded_customers) as expanded_customers,
        sum(contracted_customers) as contracted_customers,
        sum(churned_customers) as churned_customers,
        sum(case when month_start = last_month_start then ending_customers else 0 end) as ending_customers
    from months_in_periods
    group by
        period_grain,
        period_start,
        source_relation,
        segment
),

final as (
    select
        by_period.period_grain,
        by_period.period_start,
        periods.period_end,
        by_period.source_relation,
        by_period.segment,
        {{ cast_columns(arr_columns, type_money(), 'by_period') }},
        cast(
            by_period.new_arr + by_period.reactivation_arr + by_period.expansion_arr
            - by_period.contraction_arr - by_period.churned_arr as {{ type_money() }}
        ) as net_new_arr,
        {{ cast_columns(customer_columns, dbt.type_bigint(), 'by_period') }},
        cast(by_period.months as {{ dbt.type_bigint() }}) as months,
        by_period.measured_through,
        periods.is_complete
    from by_period
    inner join periods
        on {{ same_keys('by_period', 'periods', ['period_grain', 'period_start']) }}
)

select * from final
