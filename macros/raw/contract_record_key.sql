{#- SQL text for a record's key in dq_record_issues: the contract's primary key of `table`, its parts (of `alias`'s row) joined with `|`. -#}
{% macro contract_record_key(table, alias) %}
    {%- if not execute -%}
        {#- the contract is read from the graph, which parsing has not built yet -#}
        {{- return("''") -}}
    {%- endif -%}
    {%- set key_parts = [] -%}
    {%- for column in raw_contract()[table].primary_key -%}
        {%- do key_parts.append("coalesce(cast(" ~ alias ~ "." ~ column ~ " as " ~ dbt.type_string() ~ "), '')") -%}
    {%- endfor -%}
    {{- return(key_parts | join(" || '|' || ")) -}}
{% endmacro %}
