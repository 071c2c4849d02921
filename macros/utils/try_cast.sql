{#-
    Cast that yields null instead of failing on an unparseable value. DuckDB
    and Spark have try_cast; elsewhere a plain cast (a typed warehouse column
    has nothing to parse, and a bad text value still fails the test loudly).
-#}
{% macro try_cast(expression, type) %}
    {{- return(adapter.dispatch("try_cast", "sales_kpis")(expression, type)) -}}
{% endmacro %}

{% macro default__try_cast(expression, type) %}cast({{ expression }} as {{ type }}){% endmacro %}

{% macro duckdb__try_cast(expression, type) %}try_cast({{ expression }} as {{ type }}){% endmacro %}

{% macro spark__try_cast(expression, type) %}try_cast({{ expression }} as {{ type }}){% endmacro %}
