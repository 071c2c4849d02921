"""`sales-kpis demo`: sample data -> validation -> build -> a short summary."""

from __future__ import annotations

from pathlib import Path
from collections.abc import Callable, Collection

from rich.console import Console
from rich.table import Table

from sales_kpis.terminal import Progress, literal


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
             run_build: Callable[..., bool], print_validation: Callable, given: Collection[str] = ()) -> bool:
    """given: the generation options the user typed (leads, seed); said to be ignored when data exists."""
    from sales_kpis.generate import generate
    from sales_kpis.validate import validate

    if not (raw_dir / "leads.parquet").exists() and not (raw_dir / "leads.csv").exists():
        with Progress(console, f"generating {leads:,} leads into {raw_dir}") as progress:
            generate(raw_dir, seed=seed, leads=leads, end_date=end_date, progress=progress.update)
    else:
        console.print(f"using the raw data already in {literal(raw_dir)}")
        ignored = [f"--{name} {value}" for name, value in (("leads", leads), ("seed", seed)) if name in given]
        if ignored:
            console.print(f"[yellow]note:[/yellow] {literal(' and '.join(ignored))} ignored: data is generated "
                          f"only into a directory without it (remove {literal(raw_dir)}, or give another --raw-dir)")
    report = validate(raw_dir)
    print_validation(report)
    if not report.ok:
        return False
    if not run_build(raw_dir, database, end_date, "duckdb", {}, (), None):
        return False
    table = Table("table", "rows", title=literal(f"Warehouse {database} (as of {end_date})"))
    for name, rows in summarise(database):
        table.add_row(name, f"{rows:,}")
    console.print(table)
    return True
