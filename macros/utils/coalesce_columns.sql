{#-
    A list of select items `coalesce(<relation>.<column>, <default>) as
    <column>`, one per column, comma-separated: the measures of a relation
    left-joined onto a dense spine (every period and key), where a missing
    row means nothing happened (0).
-#}
{% macro coalesce_columns(columns, relation, default=0) %}
    {%- set items = [] -%}
    {%- for column in columns -%}
        {%- do items.append("coalesce(" ~ relation ~ "." ~ column ~ ", " ~ default ~ ") as " ~ column) -%}
    {%- endfor -%}
    {{- items | join(",\n        ") -}}
{%- endmacro %}
