{#-
    A list of select items `cast(<relation>.<column> as <data_type>) as
    <column>`, one per column, comma-separated: the typed columns a model
    publishes. With `default`, a null becomes the default before the cast
    (coalesce), as for the counts and amounts of a dense row.
-#}
{% macro cast_columns(columns, data_type, relation=none, default=none) %}
    {%- set items = [] -%}
    {%- for column in columns -%}
        {%- set value = (relation ~ "." if relation else "") ~ column -%}
        {%- if default is not none -%}
            {%- set value = "coalesce(" ~ value ~ ", " ~ default ~ ")" -%}
        {%- endif -%}
        {%- do items.append("cast(" ~ value ~ " as " ~ data_type ~ ") as " ~ column) -%}
    {%- endfor -%}
    {{- items | join(",\n        ") -}}
{%- endmacro %}
