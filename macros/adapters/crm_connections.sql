{#-
    The CRM connections the adapters read, as a list of
    {source, schema, database, source_relation, raw_dir, prefix_keys}.
    - Without var crm_unions: one connection of var crm_source (none for
      canonical), in var <source>_schema / <source>_database.
    - With var crm_unions (a list of {source, schema, database, name,
      raw_dir}): one connection per entry (source defaults to crm_source);
      source_relation is the entry's name (default its schema). With more
      than one connection every key is prefixed with "<source_relation>:" so
      that records of different connections never collide.
    source_name keeps only the connections of that source.
-#}
{% macro crm_connections(source_name=none) %}
    {%- set unions = var("crm_unions", []) or [] -%}
    {%- set default_source = crm_source() -%}
    {%- set connections = [] -%}
    {%- if unions | length > 0 -%}
        {%- for entry in unions -%}
            {%- set entry_source = (entry.get("source") or default_source) | lower -%}
            {%- if entry_source not in ["salesforce", "hubspot"] -%}
                {{- exceptions.raise_compiler_error(
                    "crm_unions entry " ~ loop.index ~ ": source must be salesforce or hubspot, not '"
                    ~ entry_source ~ "'") -}}
            {%- endif -%}
            {%- if not entry.get("schema") -%}
                {{- exceptions.raise_compiler_error("crm_unions entry " ~ loop.index ~ " needs a schema") -}}
            {%- endif -%}
            {%- do connections.append({
                "source": entry_source,
                "schema": entry["schema"],
                "database": entry.get("database") or target.database,
                "source_relation": entry.get("name") or entry["schema"],
                "raw_dir": entry.get("raw_dir"),
                "prefix_keys": unions | length > 1,
            }) -%}
        {%- endfor -%}
        {%- set names = connections | map(attribute="source_relation") | list -%}
        {%- if names | unique | list | length != names | length -%}
            {{- exceptions.raise_compiler_error(
                "crm_unions: every connection needs its own name (source_relation); got " ~ names | join(", ")) -}}
        {%- endif -%}
        {%- if default_source != "canonical" and default_source not in connections | map(attribute="source") | list -%}
            {{- exceptions.raise_compiler_error(
                "crm_source is " ~ default_source ~ " but crm_unions has no " ~ default_source ~ " connection") -}}
        {%- endif -%}
    {%- elif default_source != "canonical" -%}
        {%- set schema = var(default_source ~ "_schema", default_source) or default_source -%}
        {%- do connections.append({
            "source": default_source,
            "schema": schema,
            "database": var(default_source ~ "_database", none) or target.database,
            "source_relation": schema,
            "raw_dir": none,
            "prefix_keys": false,
        }) -%}
    {%- endif -%}
    {%- if source_name is none -%}
        {{- return(connections) -}}
    {%- endif -%}
    {{- return(connections | selectattr("source", "equalto", source_name) | list) -}}
{% endmacro %}

{#- The adapter sources in use (salesforce, hubspot), in a fixed order. -#}
{% macro crm_adapter_sources() %}
    {%- set used = crm_connections() | map(attribute="source") | list -%}
    {{- return(["salesforce", "hubspot"] | select("in", used) | list) -}}
{% endmacro %}

{#- The position (0, 1, ...) of a row's connection in crm_unions order, from its source_relation column. -#}
{% macro crm_connection_rank(source_relation_column="source_relation") %}
    case {{ source_relation_column }}
        {%- for connection in crm_connections() %}
        when '{{ connection.source_relation }}' then {{ loop.index0 }}
        {%- endfor %}
    end
{%- endmacro %}
