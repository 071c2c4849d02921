{#-
    Aggregates `relation` (a ref or CTE name) at every period grain (week,
    month, fiscal quarter, fiscal year) by the date in date_column:
    one `select ... group by` per grain, unioned, each row carrying
    period_grain and period_start. dimensions: list of column names kept in
    the grain; aggregates: list of SQL expressions with aliases, e.g.
    "count(*) as leads_created". For big inputs, pre-aggregate to the day
    first and pass sums here (medians need the raw rows).
-#}
{% macro union_by_period_grain(relation, date_column, dimensions, aggregates, grains=none) %}
    {%- for grain in (grains or period_grains()) %}
    select
        '{{ grain }}' as period_grain,
        {{ period_start(grain, date_column) }} as period_start,
        {%- for dimension in dimensions %}
        {{ dimension }},
        {%- endfor %}
        {{ aggregates | join(",\n        ") }}
    from {{ relation }}
    group by
        {{ period_start(grain, date_column) }}{% for dimension in dimensions %},
        {{ dimension }}{% endfor %}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}
