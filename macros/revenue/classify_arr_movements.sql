{#-
    The month-end ARR movement classification over a relation with one row
    per key and month end where ARR > 0 (columns: the keys, segment,
    month_start, month_end, arr). Returns one row per key and month end where
    the ARR or the previous month end's ARR is > 0, with previous_arr,
    movement_type (new, reactivation, expansion, contraction, churn,
    no_change) and one amount column per movement (all >= 0):
    - new: previous 0, never had ARR at an earlier month end;
    - reactivation: previous 0, had ARR at an earlier month end;
    - expansion: previous > 0 and current > previous;
    - contraction: 0 < current < previous;
    - churn: previous > 0 and current 0.
    The "previous month" rows are made by shifting every ARR row one month
    forward (an aggregate, no account x month cross join); the spine stops at
    the last month end on or before the as-of date. Used at account grain
    (keys: account_id) and at account x product grain (account_id, product_id).
-#}
{% macro classify_arr_movements(relation, keys) %}
    {%- set key_list = keys | join(", ") -%}
    with monthly_arr as (
        select * from {{ relation }}
    ),

    month_ends as (
        select
            period_start as month_start,
            period_end as month_end
        from {{ ref('dim_periods') }}
        where period_grain = 'month'
            and period_end <= {{ as_of_date() }}
    ),

    -- Each ARR row counts as "current" in its month and as "previous" in the next month.
    observations as (
        select
            {{ key_list }},
            segment,
            month_start,
            month_end,
            arr,
            cast(0 as {{ type_money() }}) as previous_arr
        from monthly_arr
        union all
        select
            {% for key in keys %}monthly_arr.{{ key }},
            {% endfor %}monthly_arr.segment,
            month_ends.month_start,
            month_ends.month_end,
            cast(0 as {{ type_money() }}) as arr,
            monthly_arr.arr as previous_arr
        from monthly_arr
        inner join month_ends
            on month_ends.month_start = cast({{ dbt.dateadd('month', 1, 'monthly_arr.month_start') }} as date)
    ),

    combined as (
        select
            {{ key_list }},
            segment,
            month_start,
            month_end,
            sum(previous_arr) as previous_arr,
            sum(arr) as arr
        from observations
        group by {{ key_list }}, segment, month_start, month_end
    ),

    with_history as (
        select
            *,
            min(case when arr > 0 then month_end end) over (partition by {{ key_list }}) as first_arr_month_end
        from combined
    ),

    classified as (
        select
            {{ key_list }},
            segment,
            month_start,
            month_end,
            first_arr_month_end,
            previous_arr,
            arr,
            case
                when previous_arr = 0 and arr > 0 and month_end = first_arr_month_end then 'new'
                when previous_arr = 0 and arr > 0 then 'reactivation'
                when previous_arr > 0 and arr = 0 then 'churn'
                when arr > previous_arr then 'expansion'
                when arr < previous_arr then 'contraction'
                else 'no_change'
            end as movement_type
        from with_history
    )

    select
        {{ key_list }},
        segment,
        month_start,
        month_end,
        movement_type,
        cast(previous_arr as {{ type_money() }}) as starting_arr,
        cast(case when movement_type = 'new' then arr else 0 end as {{ type_money() }}) as new_arr,
        cast(case when movement_type = 'reactivation' then arr else 0 end as {{ type_money() }}) as reactivation_arr,
        cast(case when movement_type = 'expansion' then arr - previous_arr else 0 end as {{ type_money() }}) as expansion_arr,
        cast(case when movement_type = 'contraction' then previous_arr - arr else 0 end as {{ type_money() }}) as contraction_arr,
        cast(case when movement_type = 'churn' then previous_arr else 0 end as {{ type_money() }}) as churned_arr,
        cast(arr as {{ type_money() }}) as ending_arr,
        cast(arr - previous_arr as {{ type_money() }}) as net_new_arr,
        first_arr_month_end
    from classified
{%- endmacro %}
