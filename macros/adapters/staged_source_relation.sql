{#-
    The source_relation of a canonical staging row (stg_crm__<table>): the CRM
    connection it belongs to (docs/decisions/0011-source-relation.md).
    - Rows of an adapter model (a table the adapter provides) keep the
      adapter's value; rows it passes through from the user's canonical file
      (null there) are attributed as below.
    - Canonical rows: with several connections (keys prefixed
      "<source_relation>:"), the connection whose prefix key_column carries;
      with one connection, its name; canonical input (no connection), var
      canonical_source_relation. A row whose key names no connection, or a
      table without a key (key_column none: exchange rates, shared by every
      connection), gets var canonical_source_relation.
-#}
{% macro staged_source_relation(table, key_column=none) %}
    {%- set from_adapter = crm_adapter_sources() | select("in", crm_table_providers(table)) | list | length > 0 -%}
    {%- set attributed = source_relation_of_key(key_column) -%}
    {%- if from_adapter -%}
        coalesce(cast(source_relation as {{ dbt.type_string() }}), {{ attributed }})
    {%- else -%}
        {{ attributed }}
    {%- endif -%}
{%- endmacro %}

{#- The adapter sources that provide a contract table. -#}
{% macro crm_table_providers(table) %}
    {%- set providers = [] -%}
    {%- for source_name in ["salesforce", "hubspot"] if table in adapter_provides(source_name) -%}
        {%- do providers.append(source_name) -%}
    {%- endfor -%}
    {{- return(providers) -}}
{% endmacro %}

{#- The connection named by a key's "<source_relation>:" prefix; see staged_source_relation. -#}
{% macro source_relation_of_key(key_column=none) %}
    {%- set connections = crm_connections() -%}
    {%- set fallback = "cast('" ~ var("canonical_source_relation", "canonical") ~ "' as " ~ dbt.type_string() ~ ")" -%}
    {%- if connections | length == 0 -%}
        {{- fallback -}}
    {%- elif connections | length == 1 and key_column is not none -%}
        cast('{{ connections[0].source_relation }}' as {{ dbt.type_string() }})
    {%- elif key_column is none -%}
        {{- fallback -}}
    {%- else -%}
        case
            {%- for connection in connections %}
            when cast({{ key_column }} as {{ dbt.type_string() }}) like '{{ connection.source_relation }}:%'
                then cast('{{ connection.source_relation }}' as {{ dbt.type_string() }})
            {%- endfor %}
            else {{ fallback }}
        end
    {%- endif -%}
{%- endmacro %}
