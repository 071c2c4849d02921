{#-
    One row per month end, CRM connection (source_relation) and segment,
    from int_account_arr_monthly: the accounts with ARR at the month end
    twelve months earlier (the base) joined to their ARR now (0 when gone).
    Rows start at the 13th month of ARR history (the first month end twelve
    months after the first month end with any ARR); every connection and
    segment gets a row every month.
    What each column means: the doc blocks of its yml.
-#}
with arr as (select * from {{ ref('int_account_arr_monthly') }}),

periods as (select * from {{ ref('dim_periods') }}),

month_ends as (
    select
        period_start as month_start,
        period_end as month_end
    from periods
    where
        period_grain = 'month'
        and period_end <= {{ as_of_date() }}
        and period_start >= cast({{ dbt.dateadd('month', 12, '(select min(month_start) from arr)') }} as date)
),

segments as (
    select distinct
        source_relation,
        segment
    from arr
),

base as (
    select
        arr.account_id,
        arr.source_relation,
        arr.segment,
        cast({{ dbt.dateadd('month', 12, 'arr.month_start') }} as date) as month_start,
        arr.arr as base_arr
    from arr
),

base_now as (
    select
        base.source_relation,
        base.segment,
        base.month_start,
        base.base_arr,
        coalesce(arr_now.arr, 0) as current_arr
    from base
    left join arr as arr_now
        on
            base.account_id = arr_now.account_id
            and base.month_start = arr_now.month_start
),

by_segment as (
    select
        source_relation,
        segment,
        month_start,
        sum(base_arr) as base_arr,
        sum(current_arr) as retained_arr,
        sum(case when current_arr < base_arr then current_arr else base_arr end) as gross_retained_arr,
        count(*) as base_customers,
        sum(case when current_arr > 0 then 1 else 0 end) as retained_customers
    from base_now
    group by
        source_relation,
        segment,
        month_start
),

final as (
    select
        'month' as period_grain,
        month_ends.month_start as period_start,
        month_ends.month_end as period_end,
        segments.source_relation,
        segments.segment,
        cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', -11, 'month_ends.month_start')) }} as date) as base_month_end,
        cast(coalesce(by_segment.base_arr, 0) as {{ type_money() }}) as base_arr,
        cast(coalesce(by_segment.retained_arr, 0) as {{ type_money() }}) as retained_arr,
        cast(coalesce(by_segment.gross_retained_arr, 0) as {{ type_money() }}) as gross_retained_arr,
        {{ ratio('by_segment.retained_arr', 'by_segment.base_arr') }} as net_revenue_retention,
        {{ ratio('by_segment.gross_retained_arr', 'by_segment.base_arr') }} as gross_revenue_retention,
        cast(coalesce(by_segment.base_customers, 0) as {{ dbt.type_bigint() }}) as base_customers,
        cast(coalesce(by_segment.retained_customers, 0) as {{ dbt.type_bigint() }}) as retained_customers,
        {{ ratio('by_segment.retained_customers', 'by_segment.base_customers') }} as logo_retention
    from month_ends
    cross join segments
    left join by_segment
        on
            month_ends.month_start = by_segment.month_start
            and {{ same_source_relation('segments', 'by_segment') }}
            and segments.segment = by_segment.segment
)

select * from final
