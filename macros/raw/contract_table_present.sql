{#- True when a contract table has rows to offer: a source adapter provides it, or the raw table exists. -#}
{% macro contract_table_present(table) %}
    {%- for source_name in crm_adapter_sources() if table in adapter_provides(source_name) -%}
        {{- return(true) -}}
    {%- endfor -%}
    {{- return(raw_table_exists(table)) -}}
{% endmacro %}
