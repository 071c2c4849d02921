{#-
    The bookkeeping columns of a Salesforce object synced by Fivetran, for
    adapter_select's column list: the CRM's own soft delete (is_deleted, when
    the object has one) and Fivetran's history-mode and delete markers
    (_fivetran_active, _fivetran_deleted), which fivetran_is_current reads.
-#}
{% macro fivetran_history_columns(soft_delete=true) %}
    {%- set columns = [["is_deleted", "is_deleted", "boolean"]] if soft_delete else [] -%}
    {{- return(columns + [
        ["_fivetran_active", "_fivetran_active", "boolean"],
        ["_fivetran_deleted", "_fivetran_deleted", "boolean"],
    ]) -}}
{%- endmacro %}
