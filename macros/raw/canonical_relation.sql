{#-
    The canonical raw table as the user provides it: the `crm` source when it
    exists, else (optional tables only) an empty relation with the contract's
    columns and types, so the KPIs that need the table come out empty instead
    of failing. An optional contract column the table lacks reads as a typed
    null. source() is always called so lineage shows the dependency.
    Models read raw tables through raw_relation(), which is this unless a
    source adapter provides the table.
-#}
{% macro canonical_relation(table) %}
    {%- set relation = source("crm", table) -%}
    {#- in a unit test the source is the test's fixture, with the columns the test gives -#}
    {%- if not execute or (model is defined and model.resource_type is defined and model.resource_type == "unit_test") -%}
        {{- return(relation) -}}
    {%- endif -%}
    {%- set columns = raw_contract()[table].columns -%}
    {%- if not raw_table_exists(table) -%}
        {%- set nulls = [] -%}
        {%- for column in columns -%}
            {%- do nulls.append("cast(null as " ~ logical_type(column.type) ~ ") as " ~ column.name) -%}
        {%- endfor -%}
        {{- return("(select " ~ nulls | join(", ") ~ " where 1 = 0)") -}}
    {%- endif -%}
    {%- set optional = columns | selectattr("optional") | list -%}
    {%- if optional -%}
        {%- set present = adapter.get_columns_in_relation(relation) | map(attribute="name") | map("lower") | list -%}
        {%- set nulls = [] -%}
        {%- for column in optional if column.name not in present -%}
            {%- do nulls.append("cast(null as " ~ logical_type(column.type) ~ ") as " ~ column.name) -%}
        {%- endfor -%}
        {%- if nulls -%}
            {{- return("(select *, " ~ nulls | join(", ") ~ " from " ~ relation ~ ")") -}}
        {%- endif -%}
    {%- endif -%}
    {{- return(relation) -}}
{% endmacro %}
