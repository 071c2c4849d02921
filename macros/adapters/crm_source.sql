{#-
    The CRM the raw data comes from: var crm_source, one of `canonical` (the
    raw contract tables), `salesforce` or `hubspot` (Fivetran schemas mapped
    onto the contract by the adapters in models/staging/<source>/).
-#}
{% macro crm_source() %}
    {%- set configured = (var("crm_source", "canonical") or "canonical") | lower -%}
    {%- if configured not in ["canonical", "salesforce", "hubspot"] -%}
        {{- exceptions.raise_compiler_error(
            "var crm_source must be canonical, salesforce or hubspot, not '" ~ configured ~ "'") -}}
    {%- endif -%}
    {{- return(configured) -}}
{% endmacro %}
