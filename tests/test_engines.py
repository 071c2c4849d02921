"""The whole project on PostgreSQL and on Spark equals the DuckDB build, row for row.

Runs only with SALES_KPIS_TEST_ENGINES=1, in the engines virtualenv
(`make engines`: dbt-postgres, dbt-spark[session]), with a PostgreSQL server
whose connection is in the SALES_KPIS_PG_* variables (`make test-engines`
starts a throwaway one with scripts/ci/start_postgres.sh and stops it).

Each engine test loads the session's generated raw files (tests/conftest.py)
into the engine's `raw` schema, runs the full `dbt build` (models, data
tests, unit tests) on it, then compares every table of the marts layer with
the session's DuckDB build of the same data: same columns, same rows (as multisets), after normalising types
(numbers to 6 decimal places, so decimals of any scale and floats compare;
timestamps to whole seconds, UTC; dates as ISO text). Build times are written
to <scratch>/engine-build-times.json.
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


def _record_time(scratch: Path, engine: str, seconds: float) -> None:
    path = scratch / "engine-build-times.json"
    times = json.loads(path.read_text()) if path.is_file() else {}
    times[engine] = {"seconds": round(seconds, 1), "leads": session_leads()}
    path.write_text(json.dumps(times, indent=2))


def _build(engine: str, scratch: Path, raw_dir: Path | None, database: Path | None = None):
    from sales_kpis.dbt_runner import DbtOptions, run_dbt

    options = DbtOptions(raw_dir=raw_dir, database=database, target=engine, as_of=AS_OF,
                         target_path=scratch / f"target-{engine}")
    started = time.perf_counter()
    run = run_dbt("build", options, extra_args=["--log-path", str(scratch / f"logs-{engine}")])
    seconds = time.perf_counter() - started
    problems = [f"{result.resource_type} {result.name}: {result.status} {result.message}" for result in run.failures]
    assert run.success and not problems and run.exception is None, (
        f"dbt build on {engine} failed: {run.exception or ''}\n" + "\n".join(problems))
    _record_time(scratch, engine, seconds)
    return options


def mart_relations(target_path: Path) -> dict[str, tuple[str, str]]:
    """{model name: (schema, identifier)} of every table model in the marts layer of a build's manifest."""
    manifest = json.loads((target_path / "manifest.json").read_text())
    found = {}
    for node in manifest["nodes"].values():
        if (node["resource_type"] == "model" and node["fqn"][1:2] == ["marts"]
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
    import duckdb

    try:
        connection = duckdb.connect(str(database), read_only=True)
    except duckdb.ConnectionException:
        connection = duckdb.connect(str(database))
    with connection:
        cursor = connection.execute(f'select * from "{schema}"."{table}"')
        return normalised_rows([column[0] for column in cursor.description], cursor.fetchall())


def compare_marts(expected: dict[str, tuple[list[str], Counter]],
                  actual: dict[str, tuple[list[str], Counter]], engine: str) -> None:
    problems = []
    for name in sorted(expected):
        if name not in actual:
            problems.append(f"{name}: missing on {engine}")
            continue
        (expected_columns, expected_rows), (actual_columns, actual_rows) = expected[name], actual[name]
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
def duckdb_marts(built_warehouse, scratch: Path) -> dict[str, tuple[list[str], Counter]]:
    """Every marts-layer table of the session's DuckDB build (tests/conftest.py), normalised."""
    relations = mart_relations(built_warehouse.target_path)
    assert relations, "no table models in the marts layer"
    _record_time(scratch, "duckdb", built_warehouse.run.elapsed)
    return {name: read_duckdb(built_warehouse.database, schema, table) for name, (schema, table) in relations.items()}


def test_postgres_marts_equal_duckdb(scratch: Path, engines_raw_dir: Path, duckdb_marts) -> None:
    pytest.importorskip("psycopg2", reason="psycopg2 is in the engines virtualenv (make engines)")
    import psycopg2

    from sales_kpis.engines import load_postgres, postgres_connection_params

    if "SALES_KPIS_PG_PORT" not in os.environ:
        pytest.skip("no PostgreSQL server: eval \"$(scripts/ci/start_postgres.sh)\" first (or make test-engines)")
    load_postgres(engines_raw_dir)
    schema = os.environ.get("SALES_KPIS_PG_SCHEMA", "analytics")
    with psycopg2.connect(**postgres_connection_params()) as connection, connection.cursor() as cursor:
        cursor.execute("select schema_name from information_schema.schemata where schema_name like %s", [schema + "%"])
        for (stale,) in cursor.fetchall():  # a fresh build, as in CI
            cursor.execute(f'drop schema "{stale}" cascade')
    options = _build("postgres", scratch, None)
    actual = {}
    with psycopg2.connect(**postgres_connection_params()) as connection, connection.cursor() as cursor:
        for name, (schema, table) in mart_relations(options.target_path).items():
            cursor.execute(f'select * from "{schema}"."{table}"')
            actual[name] = normalised_rows([column.name for column in cursor.description], cursor.fetchall())
    compare_marts(duckdb_marts, actual, "postgres")


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
    options = _build("spark", scratch, None)
    actual = {}
    for name, (schema, table) in mart_relations(options.target_path).items():
        frame = spark.table(f"{schema}.{table}")
        actual[name] = normalised_rows(frame.columns, [tuple(row) for row in frame.collect()])
    compare_marts(duckdb_marts, actual, "spark")
