"""Other engines than DuckDB: load the raw files into PostgreSQL or Spark.

On DuckDB the raw files are bound as views by the project's on-run-start hook.
On a warehouse the raw tables are expected in ``<raw_schema>`` (default
``raw``), loaded by an ingestion tool; for CI and for trying the project out,
these loaders put the generated raw files there:

- :func:`load_postgres` - one table per raw file in ``raw``, typed from the
  Parquet schema, filled with ``COPY ... FROM STDIN`` (psycopg2), in batches.
- :func:`load_spark` - one external table per raw file in ``raw`` (Spark
  reads the Parquet files in place), in a local Spark session whose
  metastore, warehouse and ``derby.log`` live in a scratch directory
  (:func:`spark_environment`), not in the working directory.

Both replace tables of the same name and drop raw tables whose file is gone,
as the DuckDB binding does. The engine packages (psycopg2, pyspark) live in
the separate engines virtualenv (``make engines``): imported here lazily.
"""

from __future__ import annotations

import io
import os
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sales_kpis.contract import TABLES

RAW_EXTENSIONS = (".parquet", ".csv")


def raw_files(raw_dir: Path) -> dict[str, Path]:
    """{contract table: file} of the raw files present (Parquet or CSV)."""
    found: dict[str, Path] = {}
    for table in TABLES:
        for extension in RAW_EXTENSIONS:
            path = Path(raw_dir) / f"{table}{extension}"
            if path.is_file():
                found[table] = path
    return found


def _arrow_table(path: Path):
    """The raw file as an Arrow table (CSV read as text, like the DuckDB binding)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    if path.suffix == ".parquet":
        return pq.read_table(path)
    header = pacsv.read_csv(path, read_options=pacsv.ReadOptions(block_size=1 << 16)).schema.names
    return pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
        column_types={name: pa.string() for name in header}, strings_can_be_null=True))


# --------------------------------------------------------------------------- PostgreSQL


def postgres_connection_params(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """psycopg2 connection parameters from the same variables as profiles.yml's postgres target."""
    env = os.environ if environ is None else environ
    return {
        "host": env.get("SALES_KPIS_PG_HOST", "127.0.0.1"),
        "port": int(env.get("SALES_KPIS_PG_PORT", "5432")),
        "user": env.get("SALES_KPIS_PG_USER", "sales_kpis"),
        "password": env.get("SALES_KPIS_PG_PASSWORD", ""),
        "dbname": env.get("SALES_KPIS_PG_DATABASE", "sales_kpis"),
        "sslmode": env.get("SALES_KPIS_PG_SSLMODE", "prefer"),
    }


def postgres_type(arrow_type) -> str:
    """The PostgreSQL column type for an Arrow type."""
    import pyarrow as pa

    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return "text"
    if pa.types.is_timestamp(arrow_type):
        return "timestamp with time zone" if arrow_type.tz else "timestamp"
    if pa.types.is_date(arrow_type):
        return "date"
    if pa.types.is_boolean(arrow_type):
        return "boolean"
    if pa.types.is_int8(arrow_type) or pa.types.is_int16(arrow_type):
        return "smallint"
    if pa.types.is_int32(arrow_type) or pa.types.is_uint8(arrow_type) or pa.types.is_uint16(arrow_type):
        return "integer"
    if pa.types.is_integer(arrow_type):
        return "bigint"
    if pa.types.is_floating(arrow_type):
        return "double precision"
    if pa.types.is_decimal(arrow_type):
        return f"numeric({arrow_type.precision}, {arrow_type.scale})"
    return "text"


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def load_postgres(raw_dir: Path, schema: str = "raw", connection_params: dict[str, Any] | None = None,
                  batch_rows: int = 250_000, say: Callable[[str], None] | None = None) -> dict[str, int]:
    """Load every raw file into `<schema>.<table>` with COPY; return {table: rows}."""
    import psycopg2
    import pyarrow.csv as pacsv

    say = say or (lambda _text: None)
    files = raw_files(raw_dir)
    counts: dict[str, int] = {}
    connection = psycopg2.connect(**(connection_params or postgres_connection_params()))
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(f"create schema if not exists {_quote(schema)}")
            for table in TABLES:
                if table not in files:
                    cursor.execute(f"drop table if exists {_quote(schema)}.{_quote(table)} cascade")
            for table, path in files.items():
                arrow = _arrow_table(path)
                target = f"{_quote(schema)}.{_quote(table)}"
                columns = ", ".join(f"{_quote(field.name)} {postgres_type(field.type)}" for field in arrow.schema)
                cursor.execute(f"drop table if exists {target} cascade")
                cursor.execute(f"create table {target} ({columns})")
                # CSV with every non-null value quoted: an unquoted empty field is
                # NULL, a quoted one an empty string, so nulls survive the trip.
                options = pacsv.WriteOptions(include_header=False, quoting_style="all_valid")
                for batch in arrow.to_batches(max_chunksize=batch_rows):
                    buffer = io.BytesIO()
                    pacsv.write_csv(batch, buffer, write_options=options)
                    buffer.seek(0)
                    cursor.copy_expert(f"copy {target} from stdin with (format csv)", buffer)
                cursor.execute(f"analyze {target}")
                counts[table] = arrow.num_rows
                say(f"postgres: {schema}.{table} {arrow.num_rows:,} rows")
    finally:
        connection.close()
    return counts


# --------------------------------------------------------------------------- Spark


def spark_environment(scratch_dir: Path, driver_memory: str | None = None) -> dict[str, str]:
    """Environment for a local Spark session (the loader's and dbt-spark's `method: session`).

    The Hive metastore (Derby), the warehouse directory, derby.log and Spark's
    local files go under scratch_dir, so nothing lands in the working
    directory; the session time zone is UTC, so timestamps are read and
    written unchanged. PYSPARK_SUBMIT_ARGS is read by every SparkSession
    built in a process with this environment (the loader, then dbt).

    Sized for small data by default (the driver's heap 2g, one shuffle
    partition: each of the ~250 nodes is a few small jobs); for a real size
    set SALES_KPIS_SPARK_DRIVER_MEMORY (or driver_memory) and
    SALES_KPIS_SPARK_SHUFFLE_PARTITIONS (read by profiles.yml too), e.g. 4g
    and 4 at 1M leads (docs/benchmarks/spark-M.md).
    """
    scratch = Path(scratch_dir).resolve()
    scratch.mkdir(parents=True, exist_ok=True)
    driver_memory = driver_memory or os.environ.get("SALES_KPIS_SPARK_DRIVER_MEMORY", "2g")
    conf = {
        "spark.sql.warehouse.dir": str(scratch / "spark-warehouse"),
        "spark.hadoop.javax.jdo.option.ConnectionURL":
            f"jdbc:derby:;databaseName={scratch / 'metastore_db'};create=true",
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={scratch}",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": os.environ.get("SALES_KPIS_SPARK_SHUFFLE_PARTITIONS", "1"),
        "spark.ui.enabled": "false",
        "spark.sql.catalogImplementation": "hive",
    }
    # pyspark splits the variable with shlex: a scratch path with spaces stays one argument.
    args = " ".join(f"--conf {shlex.quote(f'{key}={value}')}" for key, value in conf.items())
    return {
        "PYSPARK_SUBMIT_ARGS": f"--driver-memory {driver_memory} {args} pyspark-shell",
        "SPARK_LOCAL_DIRS": str(scratch / "local"),
        "SALES_KPIS_SPARK_SCRATCH": str(scratch),
    }


def _spark_name(identifier: str) -> str:
    return "`" + identifier.replace("`", "``") + "`"


def _spark_string(text: str) -> str:
    """A Spark SQL string literal: Spark escapes with a backslash (two adjacent quotes are two literals)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def spark_session(scratch_dir: Path):
    """The local SparkSession configured by :func:`spark_environment` (created once per process)."""
    os.environ.update(spark_environment(scratch_dir))
    from pyspark.sql import SparkSession

    return SparkSession.builder.appName("sales-kpis").enableHiveSupport().getOrCreate()


def load_spark(raw_dir: Path, scratch_dir: Path, schema: str = "raw",
               say: Callable[[str], None] | None = None) -> dict[str, int]:
    """Register every raw file as an external Parquet (or CSV) table `<schema>.<table>`; return {table: rows}.

    The tables point at the files (nothing is copied: Spark reads Parquet
    itself, as DuckDB does). Timestamps without a time zone come in as
    TIMESTAMP_NTZ; staging casts them to timestamps in the session time zone,
    UTC, so they are unchanged.
    """
    say = say or (lambda _text: None)
    spark = spark_session(scratch_dir)
    files = raw_files(raw_dir)
    spark.sql(f"create database if not exists {_spark_name(schema)}")
    counts: dict[str, int] = {}
    for table in TABLES:
        spark.sql(f"drop table if exists {_spark_name(schema)}.{_spark_name(table)}")
    for table, path in files.items():
        target, location = f"{_spark_name(schema)}.{_spark_name(table)}", _spark_string(str(path.resolve()))
        if path.suffix == ".parquet":
            spark.sql(f"create table {target} using parquet options (path {location})")
        else:
            spark.sql(f"create table {target} using csv options (path {location}, header 'true')")
        counts[table] = _arrow_table(path).num_rows
        say(f"spark: {schema}.{table} {counts[table]:,} rows ({path.name})")
    return counts
