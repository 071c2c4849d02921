{#- Filter for the contract's soft-delete flag: null counts as not deleted. -#}
{% macro is_not_deleted(column="is_deleted") %}
    coalesce(cast({{ column }} as {{ dbt.type_boolean() }}), false) = false
{%- endmacro %}
