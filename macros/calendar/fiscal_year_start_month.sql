{#- The month the fiscal year starts in (var fiscal_year_start_month, 1 = January), checked. -#}
{% macro fiscal_year_start_month() %}
    {%- set month = var("fiscal_year_start_month", 1) | int -%}
    {%- if month < 1 or month > 12 -%}
        {{- exceptions.raise_compiler_error("var fiscal_year_start_month must be 1..12, got " ~ var("fiscal_year_start_month")) -}}
    {%- endif -%}
    {{- return(month) -}}
{% endmacro %}
