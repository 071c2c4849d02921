{#-
    Join condition: two relations' rows have the same value in each of the
    key columns (`<left>.<key> = <right>.<key> and ...`); source_relation is
    compared null-safe, through same_source_relation, and so is level_key
    (null on the company rows of owner_levels).
-#}
{% macro same_keys(left, right, keys) %}
    {%- set conditions = [] -%}
    {%- for key in keys -%}
        {%- if key == "source_relation" -%}
            {%- do conditions.append(same_source_relation(left, right)) -%}
        {%- elif key == "level_key" -%}
            {%- do conditions.append("coalesce(" ~ left ~ ".level_key, '') = coalesce(" ~ right ~ ".level_key, '')") -%}
        {%- else -%}
            {%- do conditions.append(left ~ "." ~ key ~ " = " ~ right ~ "." ~ key) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- conditions | join("\n            and ") -}}
{%- endmacro %}
