{#-
    The relation of a source table in a connection, or none when it does not
    exist. Tries the identifier (var <source>_<table>_identifier, default the
    table name), then the same without underscores (Fivetran's table names
    under "source naming", e.g. opportunitylineitem).
-#}
{% macro adapter_relation(connection, table) %}
    {%- set identifier = adapter_identifier(connection.source, table) -%}
    {%- for candidate in [identifier, identifier | replace("_", "")] | unique -%}
        {%- set relation = adapter.get_relation(
            database=connection.database, schema=connection.schema, identifier=candidate) -%}
        {%- if relation is not none -%}
            {{- return(relation) -}}
        {%- endif -%}
    {%- endfor -%}
    {{- return(none) -}}
{% endmacro %}

{#- Where a source table is looked for, in words, for error messages. -#}
{% macro adapter_location(connection, table) %}
    {%- set identifier = adapter_identifier(connection.source, table) -%}
    {%- if target.type == "duckdb" -%}
        {{- return((connection.raw_dir or raw_dir()) ~ "/" ~ identifier ~ ".parquet or .csv") -}}
    {%- endif -%}
    {{- return(connection.database ~ "." ~ connection.schema ~ "." ~ identifier) -}}
{% endmacro %}
