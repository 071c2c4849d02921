{#-
    The materialisation of an incremental fact: `incremental` where the
    adapter can delete rows of a plain table (DuckDB, PostgreSQL); `table` on
    Spark, whose Parquet tables have no row deletes (on Delta, Databricks,
    `merge` would do: docs/decisions/0006-incremental.md).
-#}
{% macro incremental_materialization() %}
    {{- return(adapter.dispatch("incremental_materialization", "sales_kpis")()) -}}
{% endmacro %}

{% macro default__incremental_materialization() %}{{ return("incremental") }}{% endmacro %}

{% macro spark__incremental_materialization() %}{{ return("table") }}{% endmacro %}
