{#-
    One row per SDR (role sdr) and calendar month employed, from the hire
    month to the month of min(left_on, as-of date). Sourced opportunities
    (every type, sourced_by_id = the SDR) count in their created month, won
    ones in their close month; only months employed have rows, so a deal
    closing after the SDR left counts in no month. Cost is a full month for
    every month employed, the first and last included, in cents. The
    running totals are windows over the SDR's months; the first month at the
    target ROI (var sdr_target_roi) is compared exactly, in decimals (won >=
    target x cost).
    What each column means: the doc blocks of its yml.
-#}
{%- set activity_measures = ['sourced_opportunities', 'sourced_pipeline_arr', 'won_opportunities', 'won_arr'] -%}
with users as (
    select * from {{ ref('dim_users') }}
    where role = 'sdr'
),

dates as (select * from {{ ref('dim_dates') }}),

opportunities as (
    select * from {{ ref('fct_opportunities') }}
    where sourced_by_id is not null
),

months as (
    {{ calendar_months('dates') }}
),

sdrs as (
    select
        user_id,
        source_relation,
        full_name,
        team,
        segment,
        region,
        manager_id,
        annual_ote,
        hired_on,
        left_on,
        {{ period_start('month', 'hired_on') }} as hire_month_start,
        {{ period_start('month', 'coalesce(left_on, ' ~ as_of_date() ~ ')') }} as last_month_start,
        {{ money_divide('cast(annual_ote * ' ~ var('loaded_cost_multiplier', 1.0) ~ ' as ' ~ type_amount() ~ ')', '12') }} as monthly_cost
    from users
),

sdr_months as (
    select
        sdrs.user_id,
        months.month_start,
        months.month_end,
        sdrs.source_relation,
        sdrs.full_name,
        sdrs.team,
        sdrs.segment,
        sdrs.region,
        sdrs.manager_id,
        {{ dbt.datediff('sdrs.hire_month_start', 'months.month_start', 'month') }} as months_since_hire,
        sdrs.annual_ote,
        sdrs.monthly_cost,
        sdrs.hired_on,
        sdrs.left_on
    from sdrs
    inner join months
        on
            sdrs.hire_month_start <= months.month_start
            and sdrs.last_month_start >= months.month_start
),

sourced_by_month as (
    select
        sourced_by_id,
        {{ period_start('month', 'created_on') }} as month_start,
        count(*) as sourced_opportunities,
        sum(arr_amount) as sourced_pipeline_arr
    from opportunities
    group by
        sourced_by_id,
        {{ period_start('month', 'created_on') }}
),

won_by_month as (
    select
        sourced_by_id,
        {{ period_start('month', 'close_date') }} as month_start,
        count(*) as won_opportunities,
        sum(arr_amount) as won_arr
    from opportunities
    where is_won
    group by
        sourced_by_id,
        {{ period_start('month', 'close_date') }}
),

-- Both activities stacked and summed, so each SDR month joins one row.
activity_by_month as (
    select
        sourced_by_id,
        month_start,
        {{ sum_columns(activity_measures) | join(",\n        ") }}
    from (
        {{ union_measures({
            'sourced_by_month': ['sourced_opportunities', 'sourced_pipeline_arr'],
            'won_by_month': ['won_opportunities', 'won_arr'],
        }, ['sourced_by_id', 'month_start'], activity_measures) }}
    ) as activity
    group by
        sourced_by_id,
        month_start
),

monthly as (
    select
        sdr_months.*,
        {{ coalesce_columns(activity_measures, 'activity_by_month') }}
    from sdr_months
    left join activity_by_month
        on
            sdr_months.user_id = activity_by_month.sourced_by_id
            and sdr_months.month_start = activity_by_month.month_start
),

cumulative as (
    select
        monthly.*,
        {%- for column in ['sourced_opportunities', 'won_arr', 'monthly_cost'] %}
            sum(monthly.{{ column }}) over (
                partition by monthly.user_id order by monthly.month_start rows between unbounded preceding and current row
            ) as cumulative_{{ column | replace('monthly_', '') }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from monthly
),

flagged as (
    select
        cumulative.*,
        coalesce(
            cumulative.cumulative_cost > 0
            and cumulative.cumulative_won_arr >= cast({{ var('sdr_target_roi', 4.0) }} as {{ type_amount() }}) * cumulative.cumulative_cost,
            false
        ) as is_at_target_roi
    from cumulative
),

reached as (
    select
        flagged.*,
        min(case when flagged.is_at_target_roi then flagged.month_start end) over (partition by flagged.user_id) as target_reached_month_start,
        min(case when flagged.is_at_target_roi then flagged.months_since_hire end) over (partition by flagged.user_id) as target_reached_months_since_hire
    from flagged
),

final as (
    select
        user_id,
        month_start,
        month_end,
        source_relation,
        full_name,
        team,
        segment,
        region,
        manager_id,
        months_since_hire,
        -- summed twice (stacked activities): back to the counts' type
        cast(sourced_opportunities as {{ dbt.type_bigint() }}) as sourced_opportunities,
        cast(sourced_pipeline_arr as {{ type_money() }}) as sourced_pipeline_arr,
        cast(won_opportunities as {{ dbt.type_bigint() }}) as won_opportunities,
        cast(won_arr as {{ type_money() }}) as won_arr,
        cast(annual_ote as {{ type_money() }}) as annual_ote,
        monthly_cost,
        {{ ratio('won_arr', 'monthly_cost') }} as monthly_roi,
        cast(cumulative_sourced_opportunities as {{ dbt.type_bigint() }}) as cumulative_sourced_opportunities,
        cast(cumulative_won_arr as {{ type_money() }}) as cumulative_won_arr,
        cast(cumulative_cost as {{ type_money() }}) as cumulative_cost,
        {{ ratio('cumulative_won_arr', 'cumulative_cost') }} as cumulative_roi,
        cast({{ var('sdr_target_roi', 4.0) }} as {{ type_amount() }}) as target_roi,
        target_reached_months_since_hire,
        is_at_target_roi,
        coalesce(month_start >= target_reached_month_start, false) as has_reached_target_roi,
        month_end <= {{ as_of_date() }} as is_complete,
        target_reached_month_start,
        hired_on,
        left_on
    from reached
)

select * from final
