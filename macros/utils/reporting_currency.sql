{#- The reporting currency (var reporting_currency, ISO code), upper-cased. -#}
{% macro reporting_currency() %}
    {{- return((var("reporting_currency", "USD") | string | trim | upper)) -}}
{% endmacro %}
