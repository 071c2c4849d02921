{#-
    Post-hook of an incremental fact rebuilt per entity: deletes the rows of
    entities that no longer exist (soft-deleted, or not existing at the as-of
    date), which a delete+insert of the new batch cannot remove because they
    are not in it. `entities` is the relation listing the existing entities,
    `condition` a filter on it. Nothing to do outside incremental runs.
-#}
{% macro delete_vanished_rows(key_column, entities, condition="1 = 1") %}
    {%- if this is not none and is_incremental() -%}
        delete from {{ this }}
        where {{ key_column }} not in (
            select {{ key_column }} from {{ entities }}
            where {{ key_column }} is not null and ({{ condition }})
        )
    {%- endif -%}
{% endmacro %}
