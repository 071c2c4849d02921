{#-
    The canonical raw table as the user provides it: the `crm` source when it
    exists, else (optional tables only) an empty relation with the contract's
    columns and types, so the KPIs that need the table come out empty instead
    of failing. source() is always called so lineage shows the dependency.
    Models read raw tables through raw_relation(), which is this unless a
    source adapter provides the table.
-#}
{% macro canonical_relation(table) %}
    {%- set relation = source("crm", table) -%}
    {%- if execute and not raw_table_exists(table) -%}
        {%- set columns = [] -%}
        {%- for column in raw_contract()[table].columns -%}
            {%- do columns.append("cast(null as " ~ logical_type(column[1]) ~ ") as " ~ column[0]) -%}
        {%- endfor -%}
        {{- return("(select " ~ columns | join(", ") ~ " where 1 = 0)") -}}
    {%- endif -%}
    {{- return(relation) -}}
{% endmacro %}
