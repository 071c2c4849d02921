"""Writing importer output as raw contract tables (parquet, the contract's columns and types)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sales_kpis.contract import REQUIRED_TABLES, TABLES, arrow_type


def contract_table(name: str, frame: pd.DataFrame) -> pa.Table:
    """The contract's columns of a table, in order and typed; columns the frame lacks are null."""
    arrays = []
    for column in TABLES[name].columns:
        if column.name in frame:
            values = frame[column.name]
            if column.type == "date":
                values = pd.to_datetime(values).dt.date
            elif column.type == "timestamp":
                values = pd.to_datetime(values)
        else:
            values = pd.Series([None] * len(frame), dtype=object)
        arrays.append(pa.array(values.astype(object).where(values.notna(), None).tolist(), type=arrow_type(column.type)))
    return pa.Table.from_arrays(arrays, names=TABLES[name].column_names)


def write_tables(out_dir: Path, frames: dict[str, pd.DataFrame]) -> dict[str, int]:
    """Write each frame as <table>.parquet; required tables not given are written empty. Returns {table: rows}."""
    out_dir.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name in list(REQUIRED_TABLES) + [name for name in frames if name not in REQUIRED_TABLES]:
        frame = frames.get(name, pd.DataFrame())
        table = contract_table(name, frame)
        pq.write_table(table, out_dir / f"{name}.parquet")
        counts[name] = table.num_rows
    return counts


#: Columns that record something that happened (not a plan such as an
#: expected close date or a contracted end): the latest of them is the day the
#: data runs to.
EVENT_COLUMNS = {
    "leads": ("created_at", "mql_at", "sql_at", "disqualified_at", "converted_at"),
    "opportunities": ("created_at", "updated_at"),
    "opportunity_stage_history": ("entered_at",),
    "subscriptions": ("starts_on",),
}


def latest_event_day(raw_dir: str | Path, today: str | None = None) -> str | None:
    """The last day with an event in a raw-data directory (ISO), ignoring days after today; None if it has none.

    A natural as-of date for a first build of an imported dataset.
    """
    import datetime as dt

    from sales_kpis.warehouse import in_memory

    cutoff = today or dt.date.today().isoformat()
    days = []
    with in_memory() as connection:
        for table, columns in EVENT_COLUMNS.items():
            path = next((Path(raw_dir) / f"{table}{suffix}" for suffix in (".parquet", ".csv")
                         if (Path(raw_dir) / f"{table}{suffix}").exists()), None)
            if path is None:
                continue
            reader = "read_parquet" if path.suffix == ".parquet" else "read_csv_auto"
            present = {row[0] for row in connection.execute(f"describe select * from {reader}(?)", [str(path)]).fetchall()}
            for column in (column for column in columns if column in present):
                (day,) = connection.execute(
                    f"select max(cast({column} as date)) from {reader}(?) where cast({column} as date) <= cast(? as date)",
                    [str(path), cutoff]).fetchone()
                if day is not None:
                    days.append(day)
    return max(days).isoformat() if days else None
