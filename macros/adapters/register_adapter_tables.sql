{#-
    Part of the on-run-start hook (register_raw_tables). DuckDB: for every
    connection of the adapters in use, one view `<schema>.<identifier>` per
    source table whose file is found in the connection's raw_dir (default
    the raw-data directory), as `<identifier>.parquet` or `.csv`; the file
    name is matched like columns (case and underscores ignored, so
    OpportunityLineItem.csv is opportunity_line_item). CSV is read as text.
    Views whose file is gone are dropped. Warehouses: nothing to bind.
-#}
{% macro register_adapter_tables() %}
    {%- do adapter.dispatch("register_adapter_tables", "sales_kpis")() -%}
{% endmacro %}

{% macro default__register_adapter_tables() %}{% endmacro %}

{% macro duckdb__register_adapter_tables() %}
    {%- set directories = {} -%}
    {%- for connection in crm_connections() -%}
        {%- set directory = (connection.raw_dir or raw_dir()).rstrip("/") -%}
        {%- set claimed = directories.get(connection.source ~ "|" ~ directory) -%}
        {%- if claimed -%}
            {{- exceptions.raise_compiler_error(
                "crm_unions: connections " ~ claimed ~ " and " ~ connection.source_relation ~ " both read "
                ~ directory ~ "; give each connection its own raw_dir") -}}
        {%- endif -%}
        {%- do directories.update({connection.source ~ "|" ~ directory: connection.source_relation}) -%}
        {%- do run_query("create schema if not exists " ~ adapter.quote(connection.schema)) -%}
        {%- set files = run_query(
            "select file from glob('" ~ directory ~ "/*.parquet') union all select file from glob('" ~ directory ~ "/*.csv')"
        ).columns[0].values() -%}
        {%- for table in adapter_tables(connection.source) -%}
            {%- set identifier = adapter_identifier(connection.source, table) -%}
            {%- set matches = [] -%}
            {%- for file in files -%}
                {%- set stem = file.split("/")[-1].rsplit(".", 1)[0] -%}
                {%- if adapter_normalise(stem) == adapter_normalise(identifier) -%}
                    {%- do matches.append(file) -%}
                {%- endif -%}
            {%- endfor -%}
            {%- set view = adapter.quote(connection.schema) ~ "." ~ adapter.quote(identifier) -%}
            {%- if matches | length > 1 -%}
                {{- exceptions.raise_compiler_error(
                    connection.source ~ " table '" ~ identifier ~ "': several files match in " ~ directory
                    ~ " (" ~ matches | join(", ") ~ "); keep one of them") -}}
            {%- elif matches | length == 1 and matches[0].endswith(".parquet") -%}
                {%- do run_query("create or replace view " ~ view ~ " as select * from read_parquet('" ~ matches[0] ~ "')") -%}
            {%- elif matches | length == 1 -%}
                {%- do run_query("create or replace view " ~ view ~ " as select * from read_csv('" ~ matches[0]
                    ~ "', header = true, all_varchar = true)") -%}
            {%- else -%}
                {%- do run_query("drop view if exists " ~ view) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
{% endmacro %}
