{#-
    on-run-start hook. Makes the raw tables available as `<raw_schema>.<table>`
    relations (and, with a source adapter, the CRM's tables as
    `<schema>.<table>`: register_adapter_tables), then checks the structural
    contract (every required table and every contract column present) so a
    broken input stops the build with a message naming the table and the
    columns, before any model runs.
-#}
{% macro register_raw_tables() %}
    {%- if execute -%}
        {%- do adapter.dispatch("register_raw_tables", "sales_kpis")() -%}
        {%- do register_adapter_tables() -%}
        {%- do check_raw_tables() -%}
    {%- endif -%}
    {{- return("select 1 as raw_tables_registered") -}}
{% endmacro %}

{#- Warehouses: the raw tables are loaded by an ingestion tool; nothing to bind. -#}
{% macro default__register_raw_tables() %}{% endmacro %}

{#-
    DuckDB: one view per file found in the raw-data directory, `<table>.parquet`
    or `<table>.csv` (CSV read as text so nothing is lost before staging casts
    it). Views of tables whose file is gone are dropped, so a stale binding
    never outlives its file. A file a source adapter in use reads from the
    same directory is the CRM's table, not a contract table of the same name
    (Salesforce's opportunity_history is its stage history, not the
    contract's close-date history): it is not bound. Paths enter the SQL as
    string literals (sql_string: a directory named "it's raw" works), and one
    query looks for every table's files.
-#}
{% macro duckdb__register_raw_tables() %}
    {%- set directory = raw_dir() -%}
    {%- set schema = raw_schema() -%}
    {%- set claimed = [] -%}
    {%- for connection in crm_connections() if (connection.raw_dir or directory).rstrip("/") == directory -%}
        {%- for source_table in adapter_tables(connection.source) -%}
            {%- do claimed.append(adapter_normalise(adapter_identifier(connection.source, source_table))) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- do run_query("create schema if not exists " ~ adapter.quote(schema)) -%}
    {%- set globs = [] -%}
    {%- for table in raw_contract() -%}
        {%- for suffix in (".parquet", ".csv") -%}
            {%- do globs.append("select file from glob(" ~ sql_string(directory ~ "/" ~ table ~ suffix) ~ ")") -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set files = run_query(globs | join(" union all ")).columns[0].values() if globs else [] -%}
    {%- for table in raw_contract() -%}
        {%- set parquet_path = directory ~ "/" ~ table ~ ".parquet" -%}
        {%- set csv_path = directory ~ "/" ~ table ~ ".csv" -%}
        {%- set found = files | select("in", [parquet_path, csv_path]) | list -%}
        {%- set view = adapter.quote(schema) ~ "." ~ adapter.quote(table) -%}
        {%- if adapter_normalise(table) in claimed -%}
            {%- do run_query("drop view if exists " ~ view) -%}
        {%- elif found | length > 1 -%}
            {{- exceptions.raise_compiler_error(
                "raw table '" ~ table ~ "': both " ~ parquet_path ~ " and " ~ csv_path
                ~ " exist; keep one of them") -}}
        {%- elif found | length == 1 and found[0].endswith(".parquet") -%}
            {%- do run_query("create or replace view " ~ view ~ " as select * from read_parquet("
                ~ sql_string(parquet_path) ~ ")") -%}
        {%- elif found | length == 1 -%}
            {%- do run_query("create or replace view " ~ view ~ " as select * from read_csv(" ~ sql_string(csv_path)
                ~ ", header = true, all_varchar = true)") -%}
        {%- else -%}
            {%- do run_query("drop view if exists " ~ view) -%}
        {%- endif -%}
    {%- endfor -%}
{% endmacro %}
