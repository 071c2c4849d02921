{#-
    The continuous median (mean of the two middle values) of an expression, as
    an aggregate: percentile_cont(0.5) within group on DuckDB and PostgreSQL,
    percentile() on Spark. Nulls are ignored.
-#}
{% macro median(expression) %}
    {{- return(adapter.dispatch("median", "sales_kpis")(expression)) -}}
{% endmacro %}

{% macro default__median(expression) %}percentile_cont(0.5) within group (order by {{ expression }}){% endmacro %}

{% macro spark__median(expression) %}percentile({{ expression }}, 0.5){% endmacro %}
