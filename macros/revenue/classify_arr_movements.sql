{#-
    The month-end ARR movement classification over a relation with one row
    per key and month end where ARR > 0 (columns: the keys, segment,
    month_start, month_end, arr). Returns one row per key and month end where
    the ARR or the previous month end's ARR is > 0, with the starting
    (previous month end) and ending ARR, movement_type (new, reactivation,
    expansion, contraction, churn, no_change) and one amount column per
    movement (all >= 0):
    - new: previous 0, never had ARR at an earlier month end;
    - reactivation: previous 0, had ARR at an earlier month end;
    - expansion: previous > 0 and current > previous;
    - contraction: 0 < current < previous;
    - churn: previous > 0 and current 0.
    One window pass over each key's ARR rows (no key x month cross join, no
    re-aggregation): the previous row is the previous month end only when it
    is the adjacent month; a row not followed by the next month adds a churn
    row in that month, while that month end is on or before the as-of date.
    Used at account grain (int_account_arr_movements); the account x product
    grain is int_account_product_arr_monthly (same rules).
    bounds (incremental_month_bounds) restricts the result to the months an
    incremental run recomputes; with_watermark adds built_as_of_date.
-#}
{% macro classify_arr_movements(relation, keys, bounds=none, with_watermark=false) %}
    {%- set key_list = keys | join(", ") -%}
    with monthly_arr as (
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
            recent.arr,
            first_arr_months.first_arr_month_start
        from {{ relation }} as recent
        inner join (
            select
                {{ key_list }},
                min(month_start) as first_arr_month_start
            from {{ relation }}
            group by {{ key_list }}
        ) as first_arr_months
            on
                {% for key in keys %}{% if not loop.first %}and {% endif %}recent.{{ key }} is not distinct from first_arr_months.{{ key }}
                {% endfor %}
        where recent.month_start >= {{ bounds.previous }}
        {%- endif %}
    ),

    neighbours as (
        select
            {{ key_list }},
            segment,
            month_start,
            month_end,
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
        from monthly_arr
    ),

    -- Month ends with ARR: the previous month end's ARR is the previous row's
    -- when that row is the adjacent month, else 0.
    with_arr as (
        select
            {{ key_list }},
            segment,
            month_start,
            month_end,
            case when previous_row_month_start = previous_month_start then previous_row_arr else 0 end as previous_arr,
            arr,
            first_arr_month_start
        from neighbours
    ),

    -- The month end after the last of a run of months with ARR: churned to 0.
    churned as (
        select
            {% for key in keys %}neighbours.{{ key }},
            {% endfor %}neighbours.segment,
            neighbours.next_month_start as month_start,
            cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'neighbours.next_month_start')) }} as date) as month_end,
            neighbours.arr as previous_arr,
            0 as arr,
            neighbours.first_arr_month_start
        from neighbours
        where (neighbours.next_row_month_start is null or neighbours.next_row_month_start <> neighbours.next_month_start)
            and cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'neighbours.next_month_start')) }} as date) <= {{ as_of_date() }}
    ),

    combined as (
        select * from with_arr
        union all
        select * from churned
    ),

    classified as (
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
        from combined
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
        cast(first_arr_month_start as date) as first_arr_month_start
        {%- if with_watermark %},
        {{ as_of_date() }} as built_as_of_date
        {%- endif %}
    from classified
    {%- if bounds is not none %}
    where month_start >= {{ bounds.first }}
    {%- endif %}
{%- endmacro %}
