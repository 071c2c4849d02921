{#-
    One row per month, CRM connection (source_relation) and segment, from
    int_account_arr_movements summed (arr_movement_sums), and per fiscal
    quarter and fiscal year by summing their months (starting ARR from the
    first month, ending ARR from the last). Months run from the first month
    end with ARR to the last month end on or before the as-of date; every
    connection and segment gets a row every month (zeros when nothing
    happened), so quarter and year rows always start at their first month.
    What each column means: the doc blocks of its yml.
-#}
with movements as (select * from {{ ref('int_account_arr_movements') }}),

periods as (select * from {{ ref('dim_periods') }}),

month_ends as (
    select
        period_start as month_start,
        period_end as month_end
    from periods
    where
        period_grain = 'month'
        and period_end <= {{ as_of_date() }}
        and period_start >= (select min(movements.month_start) from movements)
),

segments as (
    select distinct
        source_relation,
        segment
    from movements
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

-- Every segment every month, so a month without movements still carries its ARR.
monthly as (
    select
        segments.source_relation,
        segments.segment,
        month_ends.month_start,
        month_ends.month_end,
        coalesce(monthly_by_segment.starting_arr, 0) as starting_arr,
        coalesce(monthly_by_segment.new_arr, 0) as new_arr,
        coalesce(monthly_by_segment.reactivation_arr, 0) as reactivation_arr,
        coalesce(monthly_by_segment.expansion_arr, 0) as expansion_arr,
        coalesce(monthly_by_segment.contraction_arr, 0) as contraction_arr,
        coalesce(monthly_by_segment.churned_arr, 0) as churned_arr,
        coalesce(monthly_by_segment.ending_arr, 0) as ending_arr,
        coalesce(monthly_by_segment.starting_customers, 0) as starting_customers,
        coalesce(monthly_by_segment.new_customers, 0) as new_customers,
        coalesce(monthly_by_segment.reactivated_customers, 0) as reactivated_customers,
        coalesce(monthly_by_segment.expanded_customers, 0) as expanded_customers,
        coalesce(monthly_by_segment.contracted_customers, 0) as contracted_customers,
        coalesce(monthly_by_segment.churned_customers, 0) as churned_customers,
        coalesce(monthly_by_segment.ending_customers, 0) as ending_customers
    from month_ends
    cross join segments
    left join monthly_by_segment
        on
            month_ends.month_start = monthly_by_segment.month_start
            and {{ same_source_relation('segments', 'monthly_by_segment') }}
            and segments.segment = monthly_by_segment.segment
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
            and monthly.month_start >= periods.period_start
            and monthly.month_start <= periods.period_end
),

by_period as (
    select
        period_grain,
        period_start,
        source_relation,
        segment,
        max(month_end) as measured_through,
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
        cast(by_period.starting_arr as {{ type_money() }}) as starting_arr,
        cast(by_period.new_arr as {{ type_money() }}) as new_arr,
        cast(by_period.reactivation_arr as {{ type_money() }}) as reactivation_arr,
        cast(by_period.expansion_arr as {{ type_money() }}) as expansion_arr,
        cast(by_period.contraction_arr as {{ type_money() }}) as contraction_arr,
        cast(by_period.churned_arr as {{ type_money() }}) as churned_arr,
        cast(by_period.ending_arr as {{ type_money() }}) as ending_arr,
        cast(
            by_period.new_arr + by_period.reactivation_arr + by_period.expansion_arr
            - by_period.contraction_arr - by_period.churned_arr as {{ type_money() }}
        ) as net_new_arr,
        cast(by_period.starting_customers as {{ dbt.type_bigint() }}) as starting_customers,
        cast(by_period.new_customers as {{ dbt.type_bigint() }}) as new_customers,
        cast(by_period.reactivated_customers as {{ dbt.type_bigint() }}) as reactivated_customers,
        cast(by_period.expanded_customers as {{ dbt.type_bigint() }}) as expanded_customers,
        cast(by_period.contracted_customers as {{ dbt.type_bigint() }}) as contracted_customers,
        cast(by_period.churned_customers as {{ dbt.type_bigint() }}) as churned_customers,
        cast(by_period.ending_customers as {{ dbt.type_bigint() }}) as ending_customers,
        cast(by_period.months as {{ dbt.type_bigint() }}) as months,
        by_period.measured_through,
        periods.is_complete
    from by_period
    inner join periods
        on
            by_period.period_grain = periods.period_grain
            and by_period.period_start = periods.period_start
)

select * from final
