"""`sales-kpis demo`: sample data -> validation -> build -> a short summary."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from rich.console import Console
from rich.table import Table


def summarise(database: Path) -> list[tuple[str, int]]:
    """Row counts of every table the build published (staging views excluded)."""
    from sales_kpis.warehouse import read_only

    with read_only(database) as connection:
        tables = connection.execute(
            """
            select schema_name, table_name
            from duckdb_tables()
            where database_name = current_database() and schema_name <> 'raw'
            order by schema_name, table_name
            """
        ).fetchall()
        return [
            (f"{schema}.{table}", connection.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0])
            for schema, table in tables
        ]


def run_demo(console: Console, raw_dir: Path, database: Path, leads: int, seed: int, end_date: str,
             run_build: Callable[..., bool], print_validation: Callable) -> bool:
    from sales_kpis.generate import generate
    from sales_kpis.validate import validate

    if not (raw_dir / "leads.parquet").exists() and not (raw_dir / "leads.csv").exists():
        with console.status(f"generating {leads:,} leads into {raw_dir}") as status:
            generate(raw_dir, seed=seed, leads=leads, end_date=end_date, progress=lambda text: status.update(text))
    else:
        console.print(f"using the raw data already in {raw_dir}")
    report = validate(raw_dir)
    print_validation(report)
    if not report.ok:
        return False
    if not run_build(raw_dir, database, end_date, "duckdb", {}, (), None):
        return False
    table = Table("table", "rows", title=f"Warehouse {database} (as of {end_date})")
    for name, rows in summarise(database):
        table.add_row(name, f"{rows:,}")
    console.print(table)
    return True
