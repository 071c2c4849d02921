{#-
    True when the relation's column is already stored as the contract's logical
    type (text, timestamp, date, decimal, integer, boolean): a typed column
    needs no parse check. An integer column counts as decimal; anything
    unrecognised counts as not typed (the check then runs).
-#}
{% macro column_has_type(relation, column_name, logical_type_name, columns=none) %}
    {#- columns: the relation's columns when the caller has them (one metadata query per table, not per column). -#}
    {%- set columns = adapter.get_columns_in_relation(relation) if columns is none else columns -%}
    {%- set found = columns | selectattr("name", "equalto", column_name) | list -%}
    {%- if not found -%}
        {%- set found = columns | selectattr("name", "equalto", column_name | upper) | list -%}
    {%- endif -%}
    {%- if not found -%}{{ return(false) }}{%- endif -%}
    {%- set family = type_family(found[0].dtype) -%}
    {{- return(family == logical_type_name or (logical_type_name == "decimal" and family == "integer")) -}}
{% endmacro %}
