"""scripts/postgres_reader_role.sql on a real PostgreSQL server: the BI reader reads the marts and nothing else.

Runs when a throwaway server is up, as `scripts/ci/start_postgres.sh` leaves it
(SALES_KPIS_PG_SOCKET_DIR, SALES_KPIS_PG_PORT; the superuser `postgres` over
the socket with SALES_KPIS_PG_SUPERUSER_PASSWORD), and psql is on PATH;
skipped otherwise. It works in schemas and roles of its own (prefixed
`sk6_`), dropped at the end. The server itself lets nobody in without a
password, and its socket directory is its own.

The post-hook half (dbt re-granting SELECT on each public model after every
build, macros/bi/grant_bi_reader.sql) runs in the PostgreSQL build of the
engine tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from sales_kpis.project import project_dir

SCRIPT = project_dir() / "scripts" / "postgres_reader_role.sql"
PG_SOCKET_DIR = os.environ.get("SALES_KPIS_PG_SOCKET_DIR")
PG_PORT = os.environ.get("SALES_KPIS_PG_PORT", "5432")
SUPERUSER_PASSWORD = os.environ.get("SALES_KPIS_PG_SUPERUSER_PASSWORD", "")

pytestmark = pytest.mark.skipif(
    not PG_SOCKET_DIR or not Path(PG_SOCKET_DIR).is_dir() or shutil.which("psql") is None,
    reason="no throwaway PostgreSQL (SALES_KPIS_PG_SOCKET_DIR from scripts/ci/start_postgres.sh) or no psql",
)

OWNER, READER, LOGIN, PASSWORD = "sk6_owner", "sk6_reader", "sk6_bi_tool", "sk6-reader-pw"
MARTS, STAGING, RAW = "sk6_analytics", "sk6_analytics_staging", "sk6_raw"


def psql(sql: str | None = None, *, user: str = "postgres", password: str | None = None, file: Path | None = None,
         variables: dict[str, str] | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """psql against the throwaway server's `postgres` database; the superuser over the socket, others over TCP."""
    host = PG_SOCKET_DIR if user == "postgres" else "127.0.0.1"
    command = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", host, "-p", PG_PORT, "-U", user, "-d", "postgres",
               "-tA"]
    for name, value in (variables or {}).items():
        command += ["-v", f"{name}={value}"]
    command += ["-f", str(file)] if file else ["-c", sql]
    if password is None and user == "postgres":
        password = SUPERUSER_PASSWORD
    environment = {**os.environ, "PGPASSWORD": password or ""}
    environment.pop("PGPASSFILE", None)
    return subprocess.run(command, capture_output=True, text=True, env=environment, check=check, timeout=60)


def as_reader(sql: str) -> subprocess.CompletedProcess:
    return psql(sql, user=LOGIN, password=PASSWORD, check=False)


def cleanup() -> None:
    psql(f"drop schema if exists {MARTS}, {STAGING}, {RAW} cascade", check=False)
    for role in (LOGIN, READER, OWNER):
        psql(f"do $$ begin if exists (select 1 from pg_roles where rolname = '{role}') then "
             f"execute 'drop owned by {role} cascade'; execute 'drop role {role}'; end if; end $$", check=False)


@pytest.fixture
def warehouse():
    """A marts schema as dbt leaves it (kpi_ marts, the time spine, a dim_ helper), staging and raw; owned by OWNER."""
    cleanup()
    psql(f"create role {OWNER} login")
    for schema in (MARTS, STAGING, RAW):
        psql(f"create schema {schema} authorization {OWNER}")
    psql(f"""
        set role {OWNER};
        create table {RAW}.leads as select 1 as lead_id;
        create view {STAGING}.stg_crm__leads as select * from {RAW}.leads;
        create table {MARTS}.kpi_lead_generation as select date '2026-10-01' as period_start, 7 as leads_created;
        create table {MARTS}.kpi_arr_movements as select 100.00 as ending_arr;
        create table {MARTS}.metricflow_time_spine as select date '2026-10-31' as date_day;
        create table {MARTS}.dim_users as select 1 as user_id;
        create view {MARTS}.kpi_scratch_view as select 1 as x;
    """)
    yield
    cleanup()


def run_script() -> None:
    done = psql(file=SCRIPT, variables={"reader_role": READER, "marts_schema": MARTS, "owner_role": OWNER,
                                        "reader_login": LOGIN, "reader_password": PASSWORD}, check=False)
    assert done.returncode == 0, done.stderr


def test_reader_selects_the_public_marts_and_nothing_else(warehouse):
    run_script()
    run_script()  # idempotent

    for relation, expected in ((f"{MARTS}.kpi_lead_generation", "7"), (f"{MARTS}.kpi_arr_movements", "100.00"),
                               (f"{MARTS}.metricflow_time_spine", "2026-10-31")):
        done = as_reader(f"select * from {relation} limit 1")
        assert done.returncode == 0 and expected in done.stdout, (relation, done.stderr)
    refused = {
        f"select * from {MARTS}.dim_users": "permission denied for table dim_users",
        f"select * from {STAGING}.stg_crm__leads": f"permission denied for schema {STAGING}",
        f"select * from {RAW}.leads": f"permission denied for schema {RAW}",
        f"create table {MARTS}.mine (a int)": f"permission denied for schema {MARTS}",
        f"delete from {MARTS}.kpi_lead_generation": "permission denied for table kpi_lead_generation",
    }
    for sql, message in refused.items():
        done = as_reader(sql)
        assert done.returncode != 0 and message in done.stderr, (sql, done.stdout, done.stderr)
    assert psql(f"select rolcanlogin from pg_roles where rolname = '{READER}'").stdout.strip() == "f"


def test_a_rebuilt_mart_is_readable_again_after_the_grant(warehouse):
    """dbt replaces a table on every build (its grants go with it): the post-hook's grant restores access."""
    run_script()
    psql(f"set role {OWNER}; drop table {MARTS}.kpi_lead_generation; "
         f"create table {MARTS}.kpi_lead_generation as select 8 as leads_created")
    assert as_reader(f"select * from {MARTS}.kpi_lead_generation").returncode != 0
    # What grant_bi_reader() runs after the model is built (as the owner).
    psql(f'set role {OWNER}; grant usage on schema "{MARTS}" to "{READER}"; '
         f'grant select on "{MARTS}"."kpi_lead_generation" to "{READER}"')
    done = as_reader(f"select * from {MARTS}.kpi_lead_generation")
    assert done.returncode == 0 and "8" in done.stdout, done.stderr


def test_the_server_lets_nobody_in_without_a_password():
    """Not the superuser over the socket, not over TCP; the socket's directory is the server user's alone."""
    for host in (PG_SOCKET_DIR, "127.0.0.1"):
        command = ["psql", "-X", "-h", host, "-p", PG_PORT, "-U", "postgres", "-d", "postgres", "-w", "-c", "select 1"]
        environment = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
        done = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=60)
        assert done.returncode != 0 and "password" in done.stderr, (host, done.stdout, done.stderr)
    assert Path(PG_SOCKET_DIR).stat().st_mode & 0o077 == 0
    assert psql("select 1").stdout.strip() == "1", "with its password, the superuser gets in"
