-- The BI reader role on the PostgreSQL target: it can read the published marts
-- (the public models: the kpi_ marts and the semantic layer's time spine) in
-- the marts schema, and nothing else: no raw tables, no staging, intermediate,
-- data-quality or config schema, no fct_/dim_ helper tables.
--
-- Run once, as a superuser or the database owner, in the project's database:
--
--   psql -v ON_ERROR_STOP=1 -d sales_kpis -f scripts/postgres_reader_role.sql \
--        [-v reader_role=sales_kpis_reader] [-v marts_schema=analytics] \
--        [-v owner_role=sales_kpis] [-v reader_login=bi_tool -v reader_password=...]
--
-- reader_role   the group role BI tools use (default sales_kpis_reader; the
--               project's var bi_reader_role names it)
-- marts_schema  the target schema of the postgres target (SALES_KPIS_PG_SCHEMA,
--               default analytics)
-- owner_role    the role dbt builds as (SALES_KPIS_PG_USER, default sales_kpis)
-- reader_login  optional: a login role for a BI tool, member of reader_role
--
-- Why grants are renewed by dbt and not by default privileges: a table build
-- replaces the relation (and drops its grants), and default privileges would
-- grant every new table of the schema, the fct_/dim_ helpers and dbt's
-- temporary relations included. Instead every build grants SELECT on each
-- public model to reader_role (post-hook grant_bi_reader(), run only when
-- this role exists). This script grants the marts already built, so the role
-- works before the next build too. Idempotent: run it again at will.

\if :{?reader_role}
\else
\set reader_role sales_kpis_reader
\endif
\if :{?marts_schema}
\else
\set marts_schema analytics
\endif
\if :{?owner_role}
\else
\set owner_role sales_kpis
\endif

-- The group role: cannot log in, owns nothing, inherits nothing.
select format('create role %I nologin noinherit', :'reader_role')
where not exists (select 1 from pg_roles where rolname = :'reader_role') \gexec

select format('grant connect on database %I to %I', current_database(), :'reader_role') \gexec

-- The marts schema (dbt creates it on the first build; created here, owned by
-- the project's role, when the role is granted before the first build).
select format('create schema if not exists %I authorization %I', :'marts_schema', :'owner_role')
where exists (select 1 from pg_roles where rolname = :'owner_role') \gexec
select format('grant usage on schema %I to %I', :'marts_schema', :'reader_role') \gexec

-- The public models already built.
select format('grant select on %I.%I to %I', schemaname, tablename, :'reader_role')
from pg_tables
where schemaname = :'marts_schema'
    and (tablename like 'kpi\_%' or tablename = 'metricflow_time_spine')
    and tablename not like '%\_\_dbt\_%' \gexec

-- Nothing else: withdraw anything granted to the role elsewhere, and on the
-- marts schema's other tables and views.
select format('revoke all on all tables in schema %I from %I', nspname, :'reader_role')
from pg_namespace
where nspname <> :'marts_schema' and nspname not like 'pg\_%' and nspname <> 'information_schema' \gexec
select format('revoke all on schema %I from %I', nspname, :'reader_role')
from pg_namespace
where nspname <> :'marts_schema' and nspname not like 'pg\_%' and nspname <> 'information_schema' \gexec
select format('revoke all on %I.%I from %I', table_schema, table_name, :'reader_role')
from information_schema.tables
where table_schema = :'marts_schema'
    and not (table_name like 'kpi\_%' or table_name = 'metricflow_time_spine') \gexec

-- Optional login role for a BI tool.
\if :{?reader_login}
select format('create role %I login in role %I', :'reader_login', :'reader_role')
where not exists (select 1 from pg_roles where rolname = :'reader_login') \gexec
\if :{?reader_password}
select format('alter role %I password %L', :'reader_login', :'reader_password') \gexec
\endif
\endif
