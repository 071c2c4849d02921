{#-
    What a canonical staging model (stg_crm__<table>) reads: the raw contract
    table (raw_relation) when crm_source is canonical or no adapter in use
    provides the table; else the adapter model already mapped onto the
    contract columns (stg_<source>__<table>), or the union of them when
    crm_unions mixes Salesforce and HubSpot connections. Decided at parse
    time from vars, so lineage shows the adapter models.
-#}
{% macro crm_input(table) %}
    {%- set providers = [] -%}
    {%- for source_name in crm_adapter_sources() if table in adapter_provides(source_name) -%}
        {%- do providers.append(source_name) -%}
    {%- endfor -%}
    {%- if providers | length == 0 -%}
        {{- return(raw_relation(table)) -}}
    {%- elif providers | length == 1 -%}
        {{- return(ref("stg_" ~ providers[0] ~ "__" ~ table)) -}}
    {%- endif -%}
    {%- set columns = raw_contract()[table].columns | map(attribute=0) | join(", ") -%}
    {%- set selects = [] -%}
    {%- for source_name in providers -%}
        {%- do selects.append("select " ~ columns ~ " from " ~ ref("stg_" ~ source_name ~ "__" ~ table)) -%}
    {%- endfor -%}
    {{- return("(" ~ selects | join(" union all ") ~ ") as crm_input_" ~ table) -}}
{% endmacro %}
