"""The one place the runner opens a DuckDB database.

Three ways, one per use:

- :func:`read_only`: a built warehouse, to read (the dashboard, the export,
  the demo's summary, a failing test's rows). dbt-duckdb keeps the database
  of its last in-process run open, and DuckDB refuses a second handle on the
  same file with another configuration ("different configuration"): when
  this process still holds the file that way, the connection falls back to a
  read-write handle, which shares the database already open and changes
  nothing on its own.
- :func:`read_write`: a warehouse to change (publishing checkpoints the
  staging file before it swaps it in).
- :func:`in_memory`: no file; for reading raw files (validation, the
  importers, the benchmark's floor).

:func:`relations` finds a model's table by name in a built warehouse.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb


class NoWarehouse(FileNotFoundError):
    """There is no warehouse file at the path given."""


def read_only(database: Path | str) -> duckdb.DuckDBPyConnection:
    """A connection to a built warehouse for reading (see the module doc for the fallback)."""
    import duckdb

    if not Path(database).exists():
        raise NoWarehouse(f"no warehouse at {database}: run `sales-kpis build` first")
    try:
        return duckdb.connect(str(database), read_only=True)
    except duckdb.ConnectionException as error:
        if "different configuration" not in str(error):
            raise
        return read_write(database)


def read_write(database: Path | str) -> duckdb.DuckDBPyConnection:
    """A read-write connection to a warehouse file (created when missing)."""
    import duckdb

    return duckdb.connect(str(database))


def in_memory(**settings: Any) -> duckdb.DuckDBPyConnection:
    """An in-memory database with DuckDB settings (e.g. threads=2, memory_limit="1GB")."""
    import duckdb

    return duckdb.connect(":memory:", config=settings)


def quoted(identifier: str) -> str:
    """An identifier quoted for DuckDB SQL."""
    return '"' + identifier.replace('"', '""') + '"'


def string_literal(value: object) -> str:
    """A value as a SQL string literal (single quotes doubled)."""
    return "'" + str(value).replace("'", "''") + "'"


def relations(connection: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """{table or view name: its quoted "schema"."name"} in the open database.

    The marts live in the target schema (``main``): when a name is in several
    schemas, ``main`` wins, then the first schema in alphabetical order.
    """
    rows = connection.execute(
        "select table_schema, table_name from information_schema.tables where table_catalog = current_database()"
    ).fetchall()
    found: dict[str, str] = {}
    for schema, name in sorted(rows, key=lambda row: (row[0] != "main", row[0])):
        found.setdefault(name, f"{quoted(schema)}.{quoted(name)}")
    return found
