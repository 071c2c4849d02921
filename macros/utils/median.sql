{#-
    The continuous median of an expression (the mean of the two middle values
    for an even count), as an aggregate. DuckDB and PostgreSQL share the
    ordered-set aggregate percentile_cont; Spark spells it percentile().
-#}
{% macro median(expression) %}
    {{- return(adapter.dispatch("median", "sales_kpis")(expression)) -}}
{% endmacro %}

{% macro default__median(expression) %}percentile_cont(0.5) within group (order by {{ expression }}){% endmacro %}

{% macro spark__median(expression) %}percentile({{ expression }}, 0.5){% endmacro %}
