{#-
    Model post-hook (set on the marts in dbt_project.yml): lets the BI reader
    role (var bi_reader_role) read a *public* model - SELECT on it, USAGE on
    its schema - and nothing else. Table builds replace the relation, and its
    grants with it, so the grant is renewed on every build. Skipped when the
    role does not exist (create it with scripts/postgres_reader_role.sql), and
    on DuckDB, where readers open the published file read-only instead.
-#}
{% macro grant_bi_reader() %}
    {{- return(adapter.dispatch('grant_bi_reader', 'sales_kpis')()) -}}
{% endmacro %}

{% macro default__grant_bi_reader() %}
    {{- return('') -}}
{% endmacro %}

{% macro postgres__grant_bi_reader() %}
    {%- set role = var('bi_reader_role', none) -%}
    {%- if not execute or not role or model.get('access') != 'public' -%}
        {{- return('') -}}
    {%- endif -%}
    {#- The role is a setting (an identifier, checked at run start); quoted as a literal and as a name all the same. -#}
    {%- set found = run_query("select 1 from pg_roles where rolname = " ~ sql_string(role)) -%}
    {%- if found.rows | length == 0 -%}
        {{- return('') -}}
    {%- endif -%}
    grant select on {{ this }} to {{ adapter.quote(role) }}
{% endmacro %}
