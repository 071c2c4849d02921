"""The whole project on PostgreSQL and on Spark equals the DuckDB build, row for row.

Runs only with SALES_KPIS_TEST_ENGINES=1, in the engines virtualenv
(`make engines`: dbt-postgres, dbt-spark[session]), with a PostgreSQL server
whose connection is in the SALES_KPIS_PG_* variables (`make test-engines`
starts a throwaway one with scripts/ci/start_postgres.sh and stops it).

Each engine test loads the session's generated raw files (tests/conftest.py)
into the engine's `raw` schema, runs the full `dbt build` (models, data
tests, unit tests) on it, then compares every table of the marts layer with
a DuckDB build of the same data (seeds and models): same columns, same rows (as multisets), after normalising types
(numbers to 6 decimal places, so decimals of any scale and floats compare;
timestamps to whole seconds, UTC; dates as ISO text; build_metadata without
its run-specific built_at and invocation_id). On PostgreSQL the BI reader role
(scripts/postgres_reader_role.sql, run before the build so the marts'
post-hook grants each public model) reads every kpi_ mart and is refused on
staging, intermediate, raw and the fct_ helpers. Build times and what was
compared are written to <scratch>/engine-build-times.json.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections import Counter
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

import pytest

from conftest import AS_OF, session_leads

os.environ.setdefault("DO_NOT_TRACK", "1")

pytestmark = [
    pytest.mark.engines,
    pytest.mark.skipif(os.environ.get("SALES_KPIS_TEST_ENGINES") != "1",
                       reason="engine builds run only with SALES_KPIS_TEST_ENGINES=1 (make test-engines: "
                              "needs the engines virtualenv and a PostgreSQL server)"),
]

PLACES = Decimal("0.000001")


@pytest.fixture(scope="module")
def scratch() -> Path:
    configured = os.environ.get("SALES_KPIS_ENGINES_SCRATCH")
    path = Path(configured) if configured else Path(tempfile.mkdtemp(prefix="sales-kpis-engines-"))
    path.mkdir(parents=True, exist_ok=True)
    return path.resolve()


@pytest.fixture(scope="module")
def engines_raw_dir(generated_raw_dir: Path) -> Path:
    """The session's generated data (tests/conftest.py: seed 7, SALES_KPIS_TEST_LEADS leads)."""
    return generated_raw_dir


def _record(scratch: Path, engine: str, **values: Any) -> None:
    """Merge values into <scratch>/engine-build-times.json under the engine's key."""
    path = scratch / "engine-build-times.json"
    times = json.loads(path.read_text()) if path.is_file() else {}
    times.setdefault(engine, {}).update(values)
    path.write_text(json.dumps(times, indent=2))


def _record_time(scratch: Path, engine: str, seconds: float, nodes: int | None = None, **extra: Any) -> None:
    _record(scratch, engine, seconds=round(seconds, 1), leads=session_leads(), nodes=nodes, **extra)


def _record_comparison(scratch: Path, engine: str, expected: dict[str, tuple[list[str], Counter]]) -> None:
    """How much was compared: tables of the marts layer (kpi_ marts among them) and their rows."""
    _record(scratch, engine, marts_compared=len(expected),
            kpi_marts_compared=sum(1 for name in expected if name.startswith("kpi_")),
            rows_compared=sum(sum(rows.values()) for _columns, rows in expected.values()),
            kpi_rows_compared=sum(sum(rows.values()) for name, (_columns, rows) in expected.items()
                                  if name.startswith("kpi_")),
            equal_to_duckdb=True)


def _build(engine: str, scratch: Path, raw_dir: Path | None, database: Path | None = None,
           extra: dict[str, Any] | None = None, extra_args: list[str] | None = None):
    from sales_kpis.dbt_runner import DbtOptions, run_dbt

    options = DbtOptions(raw_dir=raw_dir, database=database, target=engine, as_of=AS_OF,
                         target_path=scratch / f"target-{engine}")
    started = time.perf_counter()
    run = run_dbt("build", options, extra_args=["--log-path", str(scratch / f"logs-{engine}"), *(extra_args or [])])
    seconds = time.perf_counter() - started
    problems = [f"{result.resource_type} {result.name}: {result.status} {result.message}" for result in run.failures]
    assert run.success and not problems and run.exception is None, (
        f"dbt build on {engine} failed: {run.exception or ''}\n" + "\n".join(problems))
    _record_time(scratch, engine, seconds, nodes=len(run.results), **(extra or {}))
    return options


def mart_relations(target_path: Path) -> dict[str, tuple[str, str]]:
    """{model name: (schema, identifier)} of every published table model (core entities and kpi_ marts) of a build's manifest."""
    manifest = json.loads((target_path / "manifest.json").read_text())
    found = {}
    for node in manifest["nodes"].values():
        if (node["resource_type"] == "model" and node["fqn"][1] in ("core", "marts") and node["fqn"][2] != "prep"
                and node["config"].get("materialized") in {"table", "incremental"}):
            found[node["name"]] = (node["schema"], node.get("alias") or node["name"])
    return found


def normalise(value: Any) -> Any:
    """One comparable form per value whatever the engine returned."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        if value != value:  # NaN
            return None
        return Decimal(repr(value)).quantize(PLACES, rounding=ROUND_HALF_EVEN)
    if isinstance(value, (int, Decimal)):
        return Decimal(value).quantize(PLACES, rounding=ROUND_HALF_EVEN)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value.replace(microsecond=0).isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return value


def normalised_rows(columns: list[str], rows: list[tuple]) -> tuple[list[str], Counter]:
    names = [column.lower() for column in columns]
    order = sorted(range(len(names)), key=lambda index: names[index])
    return [names[index] for index in order], Counter(tuple(normalise(row[index]) for index in order) for row in rows)


def read_duckdb(database: Path, schema: str, table: str) -> tuple[list[str], Counter]:
    from sales_kpis.warehouse import read_only

    with read_only(database) as connection:
        cursor = connection.execute(f'select * from "{schema}"."{table}"')
        return normalised_rows([column[0] for column in cursor.description], cursor.fetchall())


#: Columns that describe the dbt run, not the data: different in every build.
RUN_COLUMNS = {"build_metadata": {"built_at", "invocation_id"}}


def without_run_columns(name: str, columns: list[str], rows: Counter) -> tuple[list[str], Counter]:
    drop = RUN_COLUMNS.get(name, set())
    if not drop:
        return columns, rows
    keep = [index for index, column in enumerate(columns) if column not in drop]
    kept = Counter()
    for row, count in rows.items():
        kept[tuple(row[index] for index in keep)] += count
    return [columns[index] for index in keep], kept


def compare_marts(expected: dict[str, tuple[list[str], Counter]],
                  actual: dict[str, tuple[list[str], Counter]], engine: str) -> None:
    problems = []
    for name in sorted(expected):
        if name not in actual:
            problems.append(f"{name}: missing on {engine}")
            continue
        expected_columns, expected_rows = without_run_columns(name, *expected[name])
        actual_columns, actual_rows = without_run_columns(name, *actual[name])
        if expected_columns != actual_columns:
            problems.append(f"{name}: columns differ: duckdb {expected_columns} vs {engine} {actual_columns}")
            continue
        if expected_rows != actual_rows:
            only_duckdb = list((expected_rows - actual_rows).elements())[:3]
            only_engine = list((actual_rows - expected_rows).elements())[:3]
            problems.append(f"{name}: {sum(expected_rows.values())} rows on duckdb, {sum(actual_rows.values())} on "
                            f"{engine}; only on duckdb e.g. {only_duckdb}; only on {engine} e.g. {only_engine}")
    assert not problems, f"{engine} marts differ from duckdb:\n" + "\n".join(problems)


@pytest.fixture(scope="module")
def duckdb_marts(engines_raw_dir: Path, scratch: Path) -> dict[str, tuple[list[str], Counter]]:
    """Every marts-layer table of a DuckDB build of the same data, normalised: the reference.

    Seeds and models only: DuckDB's data and unit tests run in `make test`
    (tests/test_build.py), so the reference build skips them (CI time).
    """
    options = _build("duckdb", scratch, engines_raw_dir, database=scratch / "duckdb" / "wh.duckdb",
                     extra_args=["--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"])
    relations = mart_relations(options.target_path)
    assert relations, "no table models in the marts layer"
    return {name: read_duckdb(options.database, schema, table) for name, (schema, table) in relations.items()}


READER_ROLE, READER_LOGIN, READER_PASSWORD = "sales_kpis_reader", "sales_kpis_bi_tool", "bi-tool-ci-password"


def _psql_superuser(*args: str) -> None:
    """psql as the throwaway server's superuser over its socket, with its password (scripts/ci/start_postgres.sh)."""
    import subprocess

    command = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", os.environ["SALES_KPIS_PG_SOCKET_DIR"],
               "-p", os.environ["SALES_KPIS_PG_PORT"], "-U", "postgres",
               "-d", os.environ.get("SALES_KPIS_PG_DATABASE", "sales_kpis"), *args]
    environment = {**os.environ, "PGPASSWORD": os.environ["SALES_KPIS_PG_SUPERUSER_PASSWORD"]}
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=environment)
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def postgres_build(scratch: Path, engines_raw_dir: Path):
    """The raw tables loaded into `raw`, the BI reader role created, a fresh full `dbt build` on PostgreSQL."""
    pytest.importorskip("psycopg2", reason="psycopg2 is in the engines virtualenv (make engines)")
    import psycopg2

    from sales_kpis.engines import load_postgres, postgres_connection_params

    if "SALES_KPIS_PG_PORT" not in os.environ or "SALES_KPIS_PG_SOCKET_DIR" not in os.environ:
        pytest.skip("no PostgreSQL server: eval \"$(scripts/ci/start_postgres.sh)\" first (or make test-engines)")
    started = time.perf_counter()
    load_postgres(engines_raw_dir)
    load_seconds = time.perf_counter() - started
    schema = os.environ.get("SALES_KPIS_PG_SCHEMA", "analytics")
    with psycopg2.connect(**postgres_connection_params()) as connection, connection.cursor() as cursor:
        cursor.execute("select schema_name from information_schema.schemata where schema_name like %s", [schema + "%"])
        for (stale,) in cursor.fetchall():  # a fresh build, as in CI
            cursor.execute(f'drop schema "{stale}" cascade')
    # The reader role exists before the build, so the marts' post-hook
    # (grant_bi_reader) grants every public model as it is built.
    script = Path(__file__).resolve().parents[1] / "scripts" / "postgres_reader_role.sql"
    _psql_superuser("-v", f"reader_role={READER_ROLE}", "-v", f"marts_schema={schema}",
                    "-v", f"owner_role={os.environ.get('SALES_KPIS_PG_USER', 'sales_kpis')}",
                    "-v", f"reader_login={READER_LOGIN}", "-v", f"reader_password={READER_PASSWORD}",
                    "-f", str(script))
    options = _build("postgres", scratch, None, extra={"load_seconds": round(load_seconds, 1)})
    return options


def test_postgres_marts_equal_duckdb(scratch: Path, postgres_build, duckdb_marts) -> None:
    import psycopg2

    from sales_kpis.engines import postgres_connection_params

    actual = {}
    with psycopg2.connect(**postgres_connection_params()) as connection, connection.cursor() as cursor:
        for name, (schema, table) in mart_relations(postgres_build.target_path).items():
            cursor.execute(f'select * from "{schema}"."{table}"')
            actual[name] = normalised_rows([column.name for column in cursor.description], cursor.fetchall())
    compare_marts(duckdb_marts, actual, "postgres")
    _record_comparison(scratch, "postgres", duckdb_marts)


def test_postgres_bi_reader_reads_the_kpi_marts_and_nothing_else(postgres_build) -> None:
    """On the real build: the BI login reads every kpi_ mart and is refused on the rest of the marts, staging and raw."""
    import psycopg2
    import psycopg2.errors

    from sales_kpis.engines import postgres_connection_params

    params = {**postgres_connection_params(), "user": READER_LOGIN, "password": READER_PASSWORD}
    relations = mart_relations(postgres_build.target_path)
    kpi_marts = sorted(name for name in relations if name.startswith("kpi_"))
    assert kpi_marts, "no kpi_ marts in the build"
    schema = os.environ.get("SALES_KPIS_PG_SCHEMA", "analytics")
    refused_relations = {
        "a staging view": f'"{schema}_staging"."stg_crm__leads"',
        "an intermediate model": f'"{schema}_intermediate"."int_lead_lifecycle"',
        "a raw table": '"raw"."leads"',
        "a fct_ helper in the marts schema": '"{}"."{}"'.format(*relations["fct_opportunities"]),
    }
    connection = psycopg2.connect(**params)
    connection.autocommit = True  # each refused query is its own statement, not an aborted transaction
    try:
        with connection.cursor() as cursor:
            for name in kpi_marts:
                cursor.execute('select count(*) from "{}"."{}"'.format(*relations[name]))
                assert cursor.fetchone()[0] >= 0
            for what, relation in refused_relations.items():
                with pytest.raises(psycopg2.errors.InsufficientPrivilege, match="permission denied"):
                    cursor.execute(f"select * from {relation} limit 1")
                    pytest.fail(f"the BI reader could read {what} ({relation})")
    finally:
        connection.close()


def test_spark_marts_equal_duckdb(scratch: Path, engines_raw_dir: Path, duckdb_marts) -> None:
    pytest.importorskip("pyspark", reason="pyspark is in the engines virtualenv (make engines)")
    from sales_kpis.engines import load_spark, spark_environment, spark_session

    spark_scratch = scratch / "spark"
    os.environ.update(spark_environment(spark_scratch))
    load_spark(engines_raw_dir, spark_scratch)
    spark = spark_session(spark_scratch)
    schema = os.environ.get("SALES_KPIS_SPARK_SCHEMA", "analytics")
    for (stale,) in spark.sql(f"show databases like '{schema}*'").collect():  # a fresh build, as in CI
        spark.sql(f"drop database {stale} cascade")
    # Every node by default, as in CI. SALES_KPIS_SPARK_DATA_TESTS=0 (make
    # test-engines ENGINES_SPARK_DATA_TESTS=0) leaves out the data tests for a
    # quicker run: seeds, every model and every unit test still build on
    # Spark, and every mart must equal DuckDB's.
    data_tests = os.environ.get("SALES_KPIS_SPARK_DATA_TESTS", "1") != "0"
    options = _build("spark", scratch, None, extra={"data_tests": data_tests},
                     extra_args=None if data_tests else ["--exclude-resource-type", "test"])
    actual = {}
    for name, (schema, table) in mart_relations(options.target_path).items():
        frame = spark.table(f"{schema}.{table}")
        actual[name] = normalised_rows(frame.columns, [tuple(row) for row in frame.collect()])
    compare_marts(duckdb_marts, actual, "spark")
    _record_comparison(scratch, "spark", duckdb_marts)
