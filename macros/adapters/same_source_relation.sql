{#-
    Join condition: two relations' rows belong to the same CRM connection.
    Null-safe through coalesce (still a hash join): staging guarantees a
    non-null source_relation, but unit tests' fixtures leave it null.
-#}
{% macro same_source_relation(left, right) -%}
    coalesce({{ left }}.source_relation, '') = coalesce({{ right }}.source_relation, '')
{%- endmacro %}
