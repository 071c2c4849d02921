{#-
    Rows of a child relation whose foreign key names no row of the parent:
    the dq_record_issues columns for each. key_column is the child's key.
    A key naming a soft-deleted parent (deleted_table, a table_name of
    stg_crm__deleted_records) is not an anomaly: the row is ignored with it.
-#}
{% macro dq_orphans(table_name, child, key_column, fk_column, parent, parent_column, rule_applied, deleted_table=none) %}
    select
        '{{ table_name }}' as table_name,
        cast({{ key_column }} as {{ dbt.type_string() }}) as record_key,
        '{{ fk_column }}' as column_name,
        'orphaned foreign key: ' || cast(child_rows.{{ fk_column }} as {{ dbt.type_string() }}) || ' not in {{ parent }}' as problem,
        '{{ rule_applied | replace("'", "''") }}' as rule_applied
    from {{ child }} as child_rows
    where child_rows.{{ fk_column }} is not null
        and not exists (
            select 1 from {{ parent }} as parent_rows
            where parent_rows.{{ parent_column }} = child_rows.{{ fk_column }}
        )
        {%- if deleted_table %}
        and not exists (
            select 1 from deleted_records
            where deleted_records.table_name = '{{ deleted_table }}'
                and deleted_records.record_id = child_rows.{{ fk_column }}
        )
        {%- endif %}
{%- endmacro %}
