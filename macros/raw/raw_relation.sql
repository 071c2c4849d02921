{#-
    What a model reads for a raw contract table. Canonical input (var
    crm_source `canonical`, the default): the user's table (canonical_relation).
    With a source adapter that provides the table (var crm_source
    `salesforce` / `hubspot`, or var crm_unions): the adapter's model mapped
    onto the contract's columns, stg_<source>__<table> (the union of them when
    Salesforce and HubSpot connections are mixed). Decided at parse time from
    vars, so lineage shows the adapter models and a canonical build never
    refers to them (docs/decisions/0010-source-adapters.md).
-#}
{% macro raw_relation(table) %}
    {%- set providers = [] -%}
    {%- for source_name in crm_adapter_sources() if table in adapter_provides(source_name) -%}
        {%- do providers.append(source_name) -%}
    {%- endfor -%}
    {%- if providers | length == 0 -%}
        {{- return(canonical_relation(table)) -}}
    {%- elif providers | length == 1 -%}
        {{- return(ref("stg_" ~ providers[0] ~ "__" ~ table)) -}}
    {%- endif -%}
    {#- at parse time (no contract yet) only the refs matter -#}
    {%- set columns = (raw_contract()[table].columns | map(attribute="name") | join(", ") ~ ", source_relation")
        if execute else "*" -%}
    {%- set selects = [] -%}
    {%- for source_name in providers -%}
        {%- do selects.append("select " ~ columns ~ " from " ~ ref("stg_" ~ source_name ~ "__" ~ table)) -%}
    {%- endfor -%}
    {{- return("(" ~ selects | join(" union all ") ~ ")") -}}
{% endmacro %}
