{#-
    One row per day (column date_day) from start_expr to end_expr inclusive,
    both SQL date expressions.
-#}
{% macro date_spine(start_expr, end_expr) %}
    {{- return(adapter.dispatch("date_spine", "sales_kpis")(start_expr, end_expr)) -}}
{% endmacro %}

{#- Portable: a cross join of digits, no generate_series; covers up to 100,000 days (273 years). -#}
{% macro default__date_spine(start_expr, end_expr) %}
    {%- set digits = "(select 0 as d union all select 1 union all select 2 union all select 3 union all select 4 union all select 5 union all select 6 union all select 7 union all select 8 union all select 9)" -%}
    select cast({{ dbt.dateadd("day", "offsets.day_offset", "bounds.start_day") }} as date) as date_day
    from (
        select ones.d + 10 * tens.d + 100 * hundreds.d + 1000 * thousands.d + 10000 * ten_thousands.d as day_offset
        from {{ digits }} as ones
        cross join {{ digits }} as tens
        cross join {{ digits }} as hundreds
        cross join {{ digits }} as thousands
        cross join {{ digits }} as ten_thousands
    ) as offsets
    cross join (select {{ start_expr }} as start_day, {{ end_expr }} as end_day) as bounds
    where offsets.day_offset <= {{ dbt.datediff("bounds.start_day", "bounds.end_day", "day") }}
{%- endmacro %}

{#-
    Spark: sequence() of the days, exploded. The digits version filtered
    100,000 candidate rows through dbt-spark's timestamp-based dateadd and
    took over a minute in a local session.
-#}
{% macro spark__date_spine(start_expr, end_expr) %}
    select explode(sequence(cast(bounds.start_day as date), cast(bounds.end_day as date), interval 1 day)) as date_day
    from (select {{ start_expr }} as start_day, {{ end_expr }} as end_day) as bounds
{%- endmacro %}
