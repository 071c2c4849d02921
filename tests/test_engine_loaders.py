"""The engine loaders' pure parts (src/sales_kpis/engines.py): no PostgreSQL or Spark needed."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from sales_kpis import engines


def test_postgres_types_follow_the_parquet_schema() -> None:
    assert engines.postgres_type(pa.string()) == "text"
    assert engines.postgres_type(pa.timestamp("us")) == "timestamp"
    assert engines.postgres_type(pa.timestamp("us", tz="UTC")) == "timestamp with time zone"
    assert engines.postgres_type(pa.date32()) == "date"
    assert engines.postgres_type(pa.bool_()) == "boolean"
    assert engines.postgres_type(pa.int32()) == "integer"
    assert engines.postgres_type(pa.int64()) == "bigint"
    assert engines.postgres_type(pa.float64()) == "double precision"
    assert engines.postgres_type(pa.decimal128(18, 2)) == "numeric(18, 2)"


def test_raw_files_lists_contract_tables_only(tmp_path: Path) -> None:
    for name in ("leads.parquet", "users.csv", "notes.parquet", "_bench_complete.json"):
        (tmp_path / name).write_text("")
    assert engines.raw_files(tmp_path) == {"users": tmp_path / "users.csv", "leads": tmp_path / "leads.parquet"}


def test_spark_scratch_keeps_metastore_out_of_the_working_directory(tmp_path: Path) -> None:
    env = engines.spark_environment(tmp_path / "spark")
    args = env["PYSPARK_SUBMIT_ARGS"]
    assert f"databaseName={tmp_path / 'spark' / 'metastore_db'}" in args
    assert f"spark.sql.warehouse.dir={tmp_path / 'spark' / 'spark-warehouse'}" in args
    assert f"-Dderby.system.home={tmp_path / 'spark'}" in args
    assert "spark.sql.session.timeZone=UTC" in args and args.endswith("pyspark-shell")
    assert env["SALES_KPIS_SPARK_SCRATCH"] == str(tmp_path / "spark")


def test_postgres_connection_reads_the_profile_variables() -> None:
    params = engines.postgres_connection_params({"SALES_KPIS_PG_PORT": "55432", "SALES_KPIS_PG_PASSWORD": "x"})
    assert params == {"host": "127.0.0.1", "port": 55432, "user": "sales_kpis", "password": "x", "dbname": "sales_kpis",
                      "sslmode": "prefer"}
    assert engines.postgres_connection_params({"SALES_KPIS_PG_SSLMODE": "verify-full"})["sslmode"] == "verify-full"


def test_spark_session_is_sized_by_the_environment(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("SALES_KPIS_SPARK_DRIVER_MEMORY", raising=False)
    monkeypatch.delenv("SALES_KPIS_SPARK_SHUFFLE_PARTITIONS", raising=False)
    small = engines.spark_environment(tmp_path / "spark")["PYSPARK_SUBMIT_ARGS"]
    assert small.startswith("--driver-memory 2g ") and "spark.sql.shuffle.partitions=1 " in small
    monkeypatch.setenv("SALES_KPIS_SPARK_DRIVER_MEMORY", "6g")
    monkeypatch.setenv("SALES_KPIS_SPARK_SHUFFLE_PARTITIONS", "4")
    big = engines.spark_environment(tmp_path / "spark")["PYSPARK_SUBMIT_ARGS"]
    assert big.startswith("--driver-memory 6g ") and "spark.sql.shuffle.partitions=4 " in big
    assert engines.spark_environment(tmp_path / "spark", driver_memory="3g")["PYSPARK_SUBMIT_ARGS"].startswith(
        "--driver-memory 3g ")
