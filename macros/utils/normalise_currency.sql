{#- A currency code upper-cased and trimmed; null or blank = the reporting currency. -#}
{% macro normalise_currency(column) %}
    coalesce(nullif(upper(trim({{ column }})), ''), '{{ reporting_currency() }}')
{%- endmacro %}
