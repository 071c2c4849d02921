{#- Epoch milliseconds (a bigint expression) as a UTC timestamp without time zone. -#}
{% macro epoch_millis_timestamp(milliseconds) %}
    {{- return(adapter.dispatch("epoch_millis_timestamp", "sales_kpis")(milliseconds)) -}}
{% endmacro %}

{% macro default__epoch_millis_timestamp(milliseconds) -%}
    (to_timestamp({{ milliseconds }} / 1000.0) at time zone 'UTC')
{%- endmacro %}

{% macro duckdb__epoch_millis_timestamp(milliseconds) -%}
    epoch_ms({{ milliseconds }})
{%- endmacro %}

{% macro spark__epoch_millis_timestamp(milliseconds) -%}
    timestamp_millis({{ milliseconds }})
{%- endmacro %}
