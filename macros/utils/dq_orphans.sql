{#-
    Rows of a child relation whose foreign key names no row of the parent:
    the dq_record_issues columns for each. key_column is the child's key.
    A key naming a soft-deleted parent (deleted_table, a table_name of
    stg_crm__deleted_records) is not an anomaly: the row is ignored with it.
    The parent check is a left join keeping the unmatched rows (not
    `not exists`), so the engine may build its hash table on the smaller side:
    at 10M leads the `not exists` form hashed every lead to check 0.5M
    opportunities.
-#}
{% macro dq_orphans(table_name, child, key_column, fk_column, parent, parent_column, rule_applied, deleted_table=none) %}
    select
        '{{ table_name }}' as table_name,
        cast({{ key_column }} as {{ dbt.type_string() }}) as record_key,
        '{{ fk_column }}' as column_name,
        'orphaned foreign key: ' || cast(child_rows.{{ fk_column }} as {{ dbt.type_string() }}) || ' not in {{ parent }}' as problem,
        '{{ rule_applied | replace("'", "''") }}' as rule_applied
    from {{ child }} as child_rows
    left join (select {{ parent_column }} as parent_key from {{ parent }}) as parent_rows
        on child_rows.{{ fk_column }} = parent_rows.parent_key
    where child_rows.{{ fk_column }} is not null
        and parent_rows.parent_key is null
        {%- if deleted_table %}
        and not exists (
            select 1 from deleted_records
            where deleted_records.table_name = '{{ deleted_table }}'
                and deleted_records.record_id = child_rows.{{ fk_column }}
        )
        {%- endif %}
{%- endmacro %}
