{#-
    One row per month end, CRM connection (source_relation) and segment,
    from int_account_arr_monthly: the accounts with ARR at the month end
    twelve months earlier (the base) joined to their ARR now (0 when gone).
    Rows start at the 13th month of ARR history (the first month end twelve
    months after the first month end with any ARR) and run to the as-of
    month, whose ARR now is measured at the as-of date (measured_through;
    is_complete false); every connection and segment gets a row every month.
    What each column means: the doc blocks of its yml.
-#}
with arr as (select * from {{ ref('int_account_arr_monthly') }}),

periods as (select * from {{ ref('dim_periods') }}),

-- Every connection and segment every month from the 13th month of ARR
-- history to the as-of month.
spine as (
    {{ arr_month_spine('periods', 'arr', months_after_first=12) }}
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
        spine.month_start as period_start,
        spine.month_end as period_end,
        spine.source_relation,
        spine.segment,
        cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', -11, 'spine.month_start')) }} as date) as base_month_end,
        cast(coalesce(by_segment.base_arr, 0) as {{ type_money() }}) as base_arr,
        cast(coalesce(by_segment.retained_arr, 0) as {{ type_money() }}) as retained_arr,
        cast(coalesce(by_segment.gross_retained_arr, 0) as {{ type_money() }}) as gross_retained_arr,
        {{ ratio('by_segment.retained_arr', 'by_segment.base_arr') }} as net_revenue_retention,
        {{ ratio('by_segment.gross_retained_arr', 'by_segment.base_arr') }} as gross_revenue_retention,
        cast(coalesce(by_segment.base_customers, 0) as {{ dbt.type_bigint() }}) as base_customers,
        cast(coalesce(by_segment.retained_customers, 0) as {{ dbt.type_bigint() }}) as retained_customers,
        {{ ratio('by_segment.retained_customers', 'by_segment.base_customers') }} as logo_retention,
        spine.measured_through,
        spine.is_complete
    from spine
    left join by_segment
        on {{ same_keys('spine', 'by_segment', ['month_start', 'source_relation', 'segment']) }}
)

select * from final
