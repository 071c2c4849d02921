{#-
    The month-end ARR movement classification, for every grain that has it:
    the account (int_account_arr_movements) and the account x product
    (int_account_product_arr_monthly).

    Input: `relation`, one row per key and month where ARR > 0 (or null, a
    missing rate, kept so that a test fails on it), with the keys, segment,
    month_start, month_end, measured_through (the month's snapshot day: its
    end, or the as-of date for the as-of month) and arr. Renders CTEs for the
    caller's `with` (each followed by a comma), the last one `arr_movements`:
    one row per key and month where the ARR or the previous month end's ARR
    is > 0, with the starting (previous month end) and ending ARR,
    movement_type and one amount column per movement (all >= 0):
    - new: previous 0, never had ARR at an earlier month end;
    - reactivation: previous 0, had ARR at an earlier month end;
    - expansion: previous > 0 and current > previous;
    - contraction: 0 < current < previous;
    - churn: previous > 0 and current 0;
    - no_change otherwise.
    One window pass over each key's ARR rows (no key x month cross join, no
    re-aggregation): the previous row is the previous month end only when it
    is the adjacent month; a row not followed by the next month adds a churn
    row in that month, while that month has started by the as-of date.

    bounds (incremental_month_bounds) restricts the result to the months an
    incremental run recomputes, computed from the relation's rows from
    bounds.previous on. The first ARR month of each key is then read from
    `first_arr_months` (keys, first_arr_month_start) when the caller has it,
    else from every row of the relation. with_watermark adds
    built_as_of_date.
-#}
{% macro classify_arr_movements(relation, keys, bounds=none, first_arr_months=none, with_watermark=false) %}
    {%- set key_list = keys | join(", ") -%}
    {%- if bounds is not none and first_arr_months is none %}
    arr_first_months as (
        select
            {{ key_list }},
            min(month_start) as first_arr_month_start
        from {{ relation }}
        group by {{ key_list }}
    ),
    {%- set first_arr_months = "arr_first_months" %}
    {%- endif %}

    arr_monthly as (
        {%- if bounds is none %}
        select * from {{ relation }}
        {%- else %}
        -- An incremental run: the months from the one before the first
        -- recomputed month, with each key's first ARR month over all months.
        select
            {% for key in keys %}recent.{{ key }},
            {% endfor %}recent.segment,
            recent.month_start,
            recent.month_end,
            recent.measured_through,
            recent.arr,
            first_arr_months.first_arr_month_start
        from {{ relation }} as recent
        left join {{ first_arr_months }} as first_arr_months
            on
                {% for key in keys %}{% if not loop.first %}and {% endif %}recent.{{ key }} is not distinct from first_arr_months.{{ key }}
                {% endfor %}
        where recent.month_start >= {{ bounds.previous }}
        {%- endif %}
    ),

    arr_neighbours as (
        select
            {{ key_list }},
            segment,
            month_start,
            month_end,
            measured_through,
            arr,
            lag(month_start) over (partition by {{ key_list }} order by month_start) as previous_row_month_start,
            lag(arr) over (partition by {{ key_list }} order by month_start) as previous_row_arr,
            lead(month_start) over (partition by {{ key_list }} order by month_start) as next_row_month_start,
            {%- if bounds is none %}
            first_value(month_start) over (partition by {{ key_list }} order by month_start) as first_arr_month_start,
            {%- else %}
            first_arr_month_start,
            {%- endif %}
            cast({{ dbt.dateadd('month', -1, 'month_start') }} as date) as previous_month_start,
            cast({{ dbt.dateadd('month', 1, 'month_start') }} as date) as next_month_start
        from arr_monthly
    ),

    -- Month ends with ARR: the previous month end's ARR is the previous row's
    -- when that row is the adjacent month, else 0.
    arr_with_previous as (
        select
            {{ key_list }},
            segment,
            month_start,
            month_end,
            measured_through,
            case when previous_row_month_start = previous_month_start then previous_row_arr else 0 end as previous_arr,
            arr,
            first_arr_month_start
        from arr_neighbours
    ),

    -- The month end after the last of a run of months with ARR: churned to 0.
    arr_churned as (
        select
            {% for key in keys %}arr_neighbours.{{ key }},
            {% endfor %}arr_neighbours.segment,
            arr_neighbours.next_month_start as month_start,
            {{ period_end('month', 'arr_neighbours.next_month_start') }} as month_end,
            {{ measured_through(period_end('month', 'arr_neighbours.next_month_start')) }} as measured_through,
            arr_neighbours.arr as previous_arr,
            0 as arr,
            arr_neighbours.first_arr_month_start
        from arr_neighbours
        where (arr_neighbours.next_row_month_start is null or arr_neighbours.next_row_month_start <> arr_neighbours.next_month_start)
            and arr_neighbours.next_month_start <= {{ as_of_date() }}
    ),

    arr_month_ends as (
        select * from arr_with_previous
        union all
        select * from arr_churned
    ),

    arr_classified as (
        select
            *,
            case
                when previous_arr = 0 and arr > 0 and month_start = first_arr_month_start then 'new'
                when previous_arr = 0 and arr > 0 then 'reactivation'
                when previous_arr > 0 and arr = 0 then 'churn'
                when arr > previous_arr then 'expansion'
                when arr < previous_arr then 'contraction'
                else 'no_change'
            end as movement_type
        from arr_month_ends
    ),

    arr_movements as (
        select
            {{ key_list }},
            segment,
            month_start,
            month_end,
            cast(measured_through as date) as measured_through,
            movement_type,
            cast(previous_arr as {{ type_money() }}) as starting_arr,
            cast(case when movement_type = 'new' then arr else 0 end as {{ type_money() }}) as new_arr,
            cast(case when movement_type = 'reactivation' then arr else 0 end as {{ type_money() }}) as reactivation_arr,
            cast(case when movement_type = 'expansion' then arr - previous_arr else 0 end as {{ type_money() }}) as expansion_arr,
            cast(case when movement_type = 'contraction' then previous_arr - arr else 0 end as {{ type_money() }}) as contraction_arr,
            cast(case when movement_type = 'churn' then previous_arr else 0 end as {{ type_money() }}) as churned_arr,
            cast(arr as {{ type_money() }}) as ending_arr,
            cast(arr - previous_arr as {{ type_money() }}) as net_new_arr,
            cast(first_arr_month_start as date) as first_arr_month_start
            {%- if with_watermark %},
            {{ as_of_date() }} as built_as_of_date
            {%- endif %}
        from arr_classified
        {%- if bounds is not none %}
        where month_start >= {{ bounds.first }}
        {%- endif %}
    ),
{%- endmacro %}
