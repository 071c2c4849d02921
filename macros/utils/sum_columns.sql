{#-
    The aggregates `sum(<column>) as <column>`, one per column, as a list
    (for union_by_period_grain's aggregates): a roll-up of additive
    measures to a coarser grain, keeping their names.
-#}
{% macro sum_columns(columns) %}
    {%- set sums = [] -%}
    {%- for column in columns -%}
        {%- do sums.append("sum(" ~ column ~ ") as " ~ column) -%}
    {%- endfor -%}
    {{- return(sums) -}}
{%- endmacro %}
