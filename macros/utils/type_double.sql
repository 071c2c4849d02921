{#-
    A double-precision float on every engine. dbt.type_float() is 4-byte
    FLOAT on DuckDB (7 significant digits), too coarse for published rates.
-#}
{% macro type_double() %}
    {{- return(adapter.dispatch("type_double", "sales_kpis")()) -}}
{% endmacro %}

{% macro default__type_double() %}double precision{% endmacro %}

{% macro spark__type_double() %}double{% endmacro %}
