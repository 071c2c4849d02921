"""The one module that opens DuckDB (src/sales_kpis/warehouse.py), and dbt-duckdb's handle released by publishing."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from conftest import build_ok, describe_run, run_build

from sales_kpis import warehouse
from sales_kpis.publish import PublishPaths, release_dbt_duckdb_handle

PACKAGE = Path(warehouse.__file__).resolve().parent


def make_db(path: Path) -> None:
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema staging")
        connection.execute("create table staging.kpi_x as select 1 as v")
        connection.execute("create table main.kpi_x as select 2 as v")
        connection.execute('create table staging."odd""name" as select 3 as v')


def test_only_the_warehouse_module_opens_duckdb():
    opened = {str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py")
              if re.search(r"\bduckdb\.connect\(", path.read_text(encoding="utf-8"))}
    assert opened == {"warehouse.py"}


def test_read_only_refuses_writes_and_names_a_missing_file(tmp_path):
    database = tmp_path / "wh.duckdb"
    with pytest.raises(warehouse.NoWarehouse, match="sales-kpis build"):
        warehouse.read_only(database)
    assert not database.exists()
    make_db(database)
    with warehouse.read_only(database) as connection:
        assert connection.execute("select v from main.kpi_x").fetchone() == (2,)
        with pytest.raises(duckdb.InvalidInputException, match="read-only"):
            connection.execute("create table y as select 1")


def test_read_only_shares_the_handle_this_process_holds(tmp_path):
    """As after an in-process dbt run: the file is open read-write here, and a read-only handle is refused."""
    database = tmp_path / "wh.duckdb"
    make_db(database)
    with warehouse.read_write(database) as held:
        held.execute("insert into main.kpi_x values (4)")
        with pytest.raises(duckdb.ConnectionException, match="different configuration"):
            duckdb.connect(str(database), read_only=True)
        with warehouse.read_only(database) as reader:
            assert reader.execute("select sum(v) from main.kpi_x").fetchone() == (6,)


def test_relations_prefer_the_target_schema_and_quote_names(tmp_path):
    database = tmp_path / "wh.duckdb"
    make_db(database)
    with warehouse.read_only(database) as connection:
        found = warehouse.relations(connection)
        assert found["kpi_x"] == '"main"."kpi_x"'
        assert found['odd"name'] == '"staging"."odd""name"'
        odd = found['odd"name']
        assert connection.execute(f"select v from {odd}").fetchone() == (3,)


def test_in_memory_applies_settings():
    with warehouse.in_memory(threads=1, memory_limit="512MB") as connection:
        assert connection.execute("select current_setting('threads')").fetchone() == (1,)
        assert connection.execute("select current_database()").fetchone() == ("memory",)


@pytest.mark.slow
def test_release_closes_the_database_dbt_duckdb_keeps_open(generated_raw_dir, tmp_path):
    run = run_build(generated_raw_dir, tmp_path, select=["+dim_dates"], unit_tests=False)
    assert build_ok(run), describe_run(run)
    database = tmp_path / "wh.duckdb"
    with pytest.raises(duckdb.ConnectionException, match="different configuration"):
        duckdb.connect(str(database), read_only=True)  # dbt-duckdb still holds it
    release_dbt_duckdb_handle()
    assert not PublishPaths.wal(database).exists()  # closed, so checkpointed
    with duckdb.connect(str(database), read_only=True) as connection:
        dim_dates = warehouse.relations(connection)["dim_dates"]
        assert connection.execute(f"select count(*) from {dim_dates}").fetchone()[0] > 0
    release_dbt_duckdb_handle()  # nothing open: a no-op
