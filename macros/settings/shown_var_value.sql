{#- A var's value as the messages quote it: JSON for null, booleans, lists and mappings, else as written. -#}
{% macro shown_var_value(value) %}
    {%- if value is none or value is boolean or value is mapping or (value is sequence and value is not string) -%}
        {{- return(tojson(value)) -}}
    {%- endif -%}
    {{- return(value ~ "") -}}
{% endmacro %}
