{#-
    A 64-bit float for published rates. dbt.type_float() is `float`, which is
    a 32-bit REAL on DuckDB (2/3 = 0.6666666865...): rates would be right to
    7 digits only.
-#}
{% macro type_double() %}
    {{- return(adapter.dispatch("type_double", "sales_kpis")()) -}}
{% endmacro %}

{% macro default__type_double() %}double precision{% endmacro %}

{% macro spark__type_double() %}double{% endmacro %}
