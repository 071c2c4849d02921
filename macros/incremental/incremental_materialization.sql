{#-
    The materialisation of an incremental fact. `table` (built in full) unless
    var `incremental` is true: a plain `dbt build` gives the same marts as a
    fresh build whatever changed in the raw data. `sales-kpis build` sets the
    var only after it has checked that no raw row the look-back cannot see
    has changed since the last build (docs/decisions/0030-full-builds-by-default.md).
    With the var: `incremental` where the adapter can delete rows of a plain
    table (DuckDB, PostgreSQL); `table` on Spark, whose Parquet tables have no
    row deletes (on Delta, Databricks, `merge` would do:
    docs/decisions/0006-incremental.md).
-#}
{% macro incremental_materialization() %}
    {%- if not var("incremental", false) -%}
        {{- return("table") -}}
    {%- endif -%}
    {{- return(adapter.dispatch("incremental_materialization", "sales_kpis")()) -}}
{% endmacro %}

{% macro default__incremental_materialization() %}{{ return("incremental") }}{% endmacro %}

{% macro spark__incremental_materialization() %}{{ return("table") }}{% endmacro %}
