{#-
    A text value as a SQL string literal of the engine: every string from a
    setting, a path or the data that enters SQL goes through it. DuckDB and
    PostgreSQL double a quote; Spark escapes quotes and backslashes with a
    backslash (it would read two adjacent literals 'it''s' as 'its').
-#}
{% macro sql_string(value) %}
    {{- return(adapter.dispatch("sql_string", "sales_kpis")(value)) -}}
{% endmacro %}

{% macro default__sql_string(value) %}
    {{- return("'" ~ (value | string).replace("'", "''") ~ "'") -}}
{% endmacro %}

{% macro spark__sql_string(value) %}
    {{- return("'" ~ (value | string).replace("\\", "\\\\").replace("'", "\\'") ~ "'") -}}
{% endmacro %}
