{#-
    The transitive closure of a parent-child relation (e.g. users and their
    manager_id): one row per (ancestor_id, descendant_id) with the shortest
    depth (1 = direct parent). Portable: a bounded chain of self-joins, one
    select per depth up to max_depth, instead of `with recursive` (which
    Spark lacks). A node is never its own ancestor, so a cycle ends too.
    relation: a ref or CTE name; id_column / parent_column: its columns.
-#}
{% macro hierarchy_closure(relation, id_column, parent_column, max_depth) %}
    {%- set max_depth = max_depth | int -%}
    {%- if max_depth < 1 -%}
        {{- exceptions.raise_compiler_error("hierarchy_closure: max_depth must be >= 1, got " ~ max_depth) -}}
    {%- endif %}
    select
        paths.ancestor_id,
        paths.descendant_id,
        min(paths.depth) as depth
    from (
        {%- for depth in range(1, max_depth + 1) %}
        select
            level_{{ depth }}.{{ parent_column }} as ancestor_id,
            level_1.{{ id_column }} as descendant_id,
            {{ depth }} as depth
        from {{ relation }} as level_1
        {%- for level in range(2, depth + 1) %}
        inner join {{ relation }} as level_{{ level }}
            on level_{{ level - 1 }}.{{ parent_column }} = level_{{ level }}.{{ id_column }}
        {%- endfor %}
        where level_{{ depth }}.{{ parent_column }} is not null
        {% if not loop.last %}union all{% endif %}
        {%- endfor %}
    ) as paths
    where paths.ancestor_id <> paths.descendant_id
    group by
        paths.ancestor_id,
        paths.descendant_id
{%- endmacro %}
