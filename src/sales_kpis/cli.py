"""The `sales-kpis` command line: parses, calls a module, prints."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from sales_kpis.project import default_database, default_raw_dir

console = Console(highlight=False)

DEMO_END_DATE = "2026-10-31"


def _parse_vars(pairs: tuple[str, ...]) -> dict[str, object]:
    import datetime

    import yaml

    values: dict[str, object] = {}
    for pair in pairs:
        if "=" not in pair:
            raise click.BadParameter(f"--var takes KEY=VALUE, got {pair!r}")
        key, value = pair.split("=", 1)
        parsed = yaml.safe_load(value) if value else ""
        # YAML reads 2026-10-31 as a date; dbt vars travel as JSON, so keep it as ISO text.
        if isinstance(parsed, (datetime.date, datetime.datetime)):
            parsed = value.strip()
        values[key.strip()] = parsed
    return values


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="sales-kpis")
def main() -> None:
    """Sales KPIs from raw CRM data: generate sample data, validate it, build the marts."""


@main.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True, help="Directory to write the raw tables to.")
@click.option("--seed", type=int, default=42, show_default=True, help="Random seed: the same seed gives the same data.")
@click.option("--leads", type=int, default=10_000, show_default=True, help="Number of leads; everything else scales with it.")
@click.option("--format", "fmt", type=click.Choice(["parquet", "csv"]), default="parquet", show_default=True)
@click.option("--start-date", default="2024-01-01", show_default=True, help="First day of the company's history.")
@click.option("--end-date", default=DEMO_END_DATE, show_default=True, help="The data's 'today': no event after it.")
def generate(out_dir: Path, seed: int, leads: int, fmt: str, start_date: str, end_date: str) -> None:
    """Write a realistic B2B SaaS company's CRM tables (every contract table)."""
    from sales_kpis.generate import generate as generate_data

    with console.status("generating") as status:
        counts = generate_data(out_dir, seed=seed, leads=leads, fmt=fmt, start_date=start_date,
                               end_date=end_date, progress=lambda text: status.update(text))
    table = Table("table", "rows", title=f"Wrote {out_dir}")
    for name, rows in counts.items():
        table.add_row(name, f"{rows:,}")
    console.print(table)


def _print_validation(report) -> None:
    for note in report.notes:
        console.print(f"[dim]note:[/dim] {note}")
    for problem in report.problems:
        colour = "red" if problem.severity == "error" else "yellow"
        where = ", ".join(part for part in (problem.key, f"column {problem.column}" if problem.column else None) if part)
        console.print(f"[{colour}]{problem.severity}[/{colour}] {problem.table}: {problem.problem}"
                      + (f" ({where})" if where else "") + (f" - {problem.detail}" if problem.detail else ""))
    console.print(report.summary())


@main.command()
@click.option("--raw-dir", type=click.Path(file_okay=False, path_type=Path), default=None, help="Raw-data directory (default $SALES_KPIS_RAW_DIR or data/raw).")
@click.option("--reporting-currency", default="USD", show_default=True)
def validate(raw_dir: Path | None, reporting_currency: str) -> None:
    """Check raw files against the contract; exit 1 on any error."""
    from sales_kpis.validate import validate as validate_raw

    report = validate_raw(raw_dir or default_raw_dir(), reporting_currency=reporting_currency)
    _print_validation(report)
    sys.exit(0 if report.ok else 1)


def _run_build(raw_dir: Path | None, database: Path | None, as_of: str | None, target: str,
               variables: dict[str, object], select: tuple[str, ...], threads: int | None,
               full_refresh: bool = False, verbose: bool = False, unit_tests: bool = False) -> bool:
    from sales_kpis import incremental
    from sales_kpis.dbt_runner import DbtOptions, failing_rows
    from sales_kpis.publish import PublishError

    options = DbtOptions(
        raw_dir=raw_dir or default_raw_dir(),
        database=database or default_database(),
        target=target,
        as_of=as_of,
        variables=variables,
        select=list(select),
        threads=threads,
        full_refresh=full_refresh,
        unit_tests=unit_tests,
    )
    finished = {"count": 0}
    with console.status("dbt build: starting") as status:

        def progress(name: str, node_status: str) -> None:
            finished["count"] += 1
            status.update(f"dbt build: {finished['count']} nodes done, last {name} ({node_status})")

        def announce(decision: incremental.Decision) -> None:
            if decision.message:
                console.print(f"[dim]{escape(decision.message)}[/dim]")

        try:
            result, _ = incremental.build(options, on_node_finished=progress,
                                          extra_args=[] if verbose else ["--log-level", "none"], on_decision=announce)
        except PublishError as error:
            console.print(f"[red]not published:[/red] {error}")
            return False
    run = result.run

    summary = Table("resource", "pass", "warn", "fail", "error", "skip", title=f"dbt build in {run.elapsed:.1f} s")
    for resource_type, counts in sorted(run.counts().items()):
        summary.add_row(resource_type, str(counts["pass"] + counts["success"]), str(counts["warn"]),
                        str(counts["fail"]), str(counts["error"]), str(counts["skipped"]))
    console.print(summary)

    def show_rows(node, limit: int, label: str) -> None:
        """A few of a test's rows (DuckDB): which records a warning or a failure is about."""
        if node.resource_type != "test" or not node.compiled_code or target != "duckdb":
            return
        try:
            rows = failing_rows(result.built, node.compiled_code, limit=limit)
        except Exception:  # the rows are a courtesy; the test is already named
            return
        for row in rows:
            # a dq_ table's row says what is wrong in words; any other row is shown whole
            text = (f"{row['table_name']} {row['record_key']}: {row['problem']}"
                    if {"table_name", "record_key", "problem"} <= set(row) else str(row))
            console.print(f"    {label}: {escape(text[:300])}")
        if node.failures and node.failures > len(rows):
            console.print(f"    ... and {node.failures - len(rows):,} more")

    for warning in run.warnings:
        console.print(f"[yellow]warn[/yellow] {warning.name}: {escape(warning.message or '')}")
        show_rows(warning, 5, "row")
    for failure in run.failures:
        console.print(f"[red]{failure.status}[/red] {failure.resource_type} {failure.name}: {escape(failure.message or '')}")
        show_rows(failure, 3, "failing row")
    if run.exception:
        console.print(f"[red]dbt failed:[/red] {run.exception}")
    ok = result.ok
    if target != "duckdb":
        console.print("[green]build succeeded[/green]" if ok else "[red]build failed[/red]")
    elif ok:
        console.print(f"[green]build succeeded[/green], published {result.published}")
    else:
        kept = f"; the failed build is kept in {result.built}" if result.built.exists() else ""
        console.print(f"[red]build failed[/red]: {result.published} was not changed{kept}")
    return ok


@main.command()
@click.option("--raw-dir", type=click.Path(file_okay=False, path_type=Path), default=None, help="Raw-data directory (default $SALES_KPIS_RAW_DIR or data/raw).")
@click.option("--database", type=click.Path(dir_okay=False, path_type=Path), default=None, help="The published DuckDB file (default $SALES_KPIS_DUCKDB_PATH or warehouse/sales_kpis.duckdb); the build writes beside it and replaces it only when every test passed.")
@click.option("--as-of", "as_of", default=None, help="As-of date (YYYY-MM-DD); default today.")
@click.option("--target", default="duckdb", show_default=True, help="profiles.yml target: duckdb or postgres.")
@click.option("--var", "var_pairs", multiple=True, help="Extra dbt var, KEY=VALUE (repeatable).")
@click.option("--select", multiple=True, help="dbt selection (repeatable).")
@click.option("--threads", type=int, default=None)
@click.option("--full-refresh", is_flag=True,
              help="Build every model in full, even when the raw data would allow the incremental path.")
@click.option("--verbose", is_flag=True, help="Show dbt's own log.")
@click.option("--unit-tests/--no-unit-tests", default=False, show_default=True,
              help="Also run dbt's unit tests (static inputs: for development and CI, not every production build).")
def build(raw_dir, database, as_of, target, var_pairs, select, threads, full_refresh, verbose, unit_tests) -> None:
    """Run `dbt build` (models and tests) and publish the warehouse; exit 1 naming the failing nodes.

    On DuckDB the build goes to a staging file beside --database, which is
    swapped in atomically only when every model and test passed: readers never
    see a half-built warehouse, and a failed build leaves the last good one.
    Every model is built in full, unless the raw rows changed since the last
    build are all ones the incremental facts' look-back sees (checked first):
    then those facts recompute only what changed.
    """
    ok = _run_build(raw_dir, database, as_of, target, _parse_vars(var_pairs), select, threads, full_refresh, verbose,
                    unit_tests)
    sys.exit(0 if ok else 1)


@main.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True, help="Directory to write index.html to.")
@click.option("--database", type=click.Path(dir_okay=False, path_type=Path), default=None, help="The published DuckDB file (default $SALES_KPIS_DUCKDB_PATH or warehouse/sales_kpis.duckdb); opened read-only.")
@click.option("--currency", default=None, help="Reporting currency label (default: the build's, from build_metadata).")
@click.option("--screenshot", "screenshot_png", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Also save a PNG of the page (headless Chromium).")
def report(out_dir: Path, database: Path | None, currency: str | None, screenshot_png: Path | None) -> None:
    """Write a self-contained HTML dashboard of the headline KPIs (no server or network needed to view it)."""
    from sales_kpis.report import write_report

    database = database or default_database()
    if not Path(database).exists():
        console.print(f"[red]no warehouse at {database}[/red]: run `sales-kpis build` first")
        sys.exit(1)
    result = write_report(database, out_dir, currency=currency)
    console.print(f"wrote {result.path} (as of {result.context.as_of}, {result.context.currency}): "
                  f"{len(result.with_data)} of {len(result.panels)} charts have data")
    for panel in result.without_data:
        console.print(f"[yellow]no data[/yellow] {panel.title}: {panel.missing}")
    if screenshot_png is not None:
        from sales_kpis.browser import screenshot

        console.print(f"screenshot {screenshot(result.path, screenshot_png)}")


@main.command()
@click.option("--mart", "mart", default=None, help="The mart to export, e.g. kpi_rep_attainment.")
@click.option("--finance-bundle", is_flag=True, help="Rep, team and org attainment in one workbook (--out PATH.xlsx).")
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet", "xlsx"]), default=None,
              help="File format (default: from the --out suffix).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="File to write.")
@click.option("--database", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="DuckDB file (default $SALES_KPIS_DUCKDB_PATH or warehouse/sales_kpis.duckdb).")
@click.option("--column-names", is_flag=True, help="Keep the marts' column names instead of finance labels.")
def export(mart, finance_bundle, fmt, out, database, column_names) -> None:
    """Write a mart (or the finance bundle) to CSV, Parquet or Excel, stamped with the as-of date."""
    from sales_kpis.export import ExportError, export_finance_bundle, export_mart

    if bool(mart) == bool(finance_bundle):
        raise click.UsageError("give either --mart NAME or --finance-bundle")
    try:
        if finance_bundle:
            result = export_finance_bundle(database or default_database(), out, column_names=column_names)
        else:
            result = export_mart(database or default_database(), mart, fmt, out, column_names=column_names)
    except ExportError as error:
        console.print(f"[red]export failed:[/red] {error}")
        sys.exit(1)
    for sheet in result.sheets:
        period = f"{sheet.first_period} .. {sheet.last_period}" if sheet.first_period else "no period"
        console.print(f"{sheet.mart}: {sheet.rows:,} rows ({period})")
    for mart_name in result.missing:
        console.print(f"[yellow]not in the warehouse, left out:[/yellow] {mart_name}")
    console.print(f"wrote {result.path} ({result.fmt}), as of {result.stamp.as_of_date}, "
                  f"amounts in {result.stamp.reporting_currency}")


#: `sales-kpis import` datasets: name -> (module, function, what it is).
IMPORTERS = {
    "olist": ("olist", "import_olist", "Olist marketing funnel (MQLs, closed deals)"),
    "maven": ("maven", "import_maven", "Maven CRM sales opportunities (deals, agents, managers)"),
    "mrr-playbook": ("mrr_playbook", "import_mrr_playbook", "dbt Labs' mrr-playbook subscription periods"),
    "ravenstack": ("ravenstack", "import_ravenstack", "RavenStack SaaS subscriptions"),
}


@main.command(name="import", help="Map a public dataset's files in SOURCE_DIR onto the raw-data contract.\n\n\b\n"
              + "\n".join(f"{name:<13} {what}" for name, (_module, _function, what) in IMPORTERS.items()))
@click.argument("dataset", type=click.Choice(sorted(IMPORTERS)))
@click.argument("source_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Raw-data directory to write the contract tables to (then: sales-kpis build --raw-dir OUT).")
def import_dataset(dataset: str, source_dir: Path, out_dir: Path) -> None:
    import importlib

    module_name, function_name, _what = IMPORTERS[dataset]
    if not source_dir.is_dir():
        console.print(f"[red]import failed:[/red] {source_dir} is not a directory")
        sys.exit(1)
    function = getattr(importlib.import_module(f"sales_kpis.importers.{module_name}"), function_name)
    try:
        counts = function(source_dir, out_dir)
    except FileNotFoundError as error:
        console.print(f"[red]import failed:[/red] {dataset}: a source file is missing: {error.filename or error}")
        sys.exit(1)
    except KeyError as error:
        console.print(f"[red]import failed:[/red] {dataset}: a source file lacks the column {error}")
        sys.exit(1)
    table = Table("table", "rows", title=f"Wrote {out_dir} from {dataset}")
    for name, rows in counts.items():
        table.add_row(name, f"{rows:,}")
    console.print(table)
    from sales_kpis.importers._tables import latest_event_day

    last_day = latest_event_day(out_dir)
    as_of = f"--as-of {last_day}" if last_day else "--as-of <the data's last day>"
    console.print(f"the data runs to {last_day or '(no dated event)'}; next: sales-kpis validate --raw-dir {out_dir} "
                  f"&& sales-kpis build --raw-dir {out_dir} {as_of}")


@main.command()
@click.option("--raw-dir", type=click.Path(file_okay=False, path_type=Path), default=None, help="Where the demo data lives (default data/raw).")
@click.option("--database", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--leads", type=int, default=20_000, show_default=True)
@click.option("--seed", type=int, default=42, show_default=True)
def demo(raw_dir: Path | None, database: Path | None, leads: int, seed: int) -> None:
    """Generate sample data if absent, validate it, build, and summarise."""
    from sales_kpis.demo import run_demo

    ok = run_demo(console, raw_dir or default_raw_dir(), database or default_database(), leads, seed,
                  DEMO_END_DATE, _run_build, _print_validation)
    sys.exit(0 if ok else 1)



@main.command()
@click.option("--leads", type=int, default=None, help="Leads to generate (or use --scale).")
@click.option("--scale", type=click.Choice(["S", "M", "L"], case_sensitive=False), default=None,
              help="Named scale: S = 10k, M = 1M, L = 10M leads.")
@click.option("--seed", type=int, default=42, show_default=True)
@click.option("--threads", type=int, default=None, help="DuckDB worker threads (default: DuckDB's, one per core).")
@click.option("--memory-limit", default=None, help="DuckDB memory_limit, e.g. 3GB (default: the profile's).")
@click.option("--dbt-threads", type=int, default=None, help="dbt's concurrent nodes (default: the profile's).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where the reports (and the run's warehouse and logs) go (default bench/results in the project).")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Generated data, one folder per seed and size, reused when present (default bench/cache in the project).")
@click.option("--select", multiple=True, help="dbt selection (repeatable; default: everything).")
@click.option("--as-of", "as_of", default=DEMO_END_DATE, show_default=True)
@click.option("--warm-parse", is_flag=True, help="Parse the project once first (untimed): time the build with dbt's partial parsing.")
@click.option("--unit-tests", is_flag=True, help="Include dbt's unit tests (left out by default, as in a production build).")
@click.option("--incremental", is_flag=True,
              help="Also time a daily incremental build (built as of the day before, then as of --as-of), "
                   "and the same day without data tests (dbt run).")
def bench(leads, scale, seed, threads, memory_limit, dbt_threads, out_dir, cache_dir, select, as_of, warm_parse,
          unit_tests, incremental) -> None:
    """Benchmark a full `dbt build` at a scale: wall time, models vs tests vs start-up, peak memory, floor."""
    from sales_kpis.devtools.bench import SCALES, BenchOptions, run_benchmark
    from sales_kpis.project import project_dir

    if leads is None:
        leads = SCALES[(scale or "S").upper()]
    options = BenchOptions(leads=leads, seed=seed, threads=threads, memory_limit=memory_limit,
                           dbt_threads=dbt_threads, out_dir=out_dir or project_dir() / "bench" / "results",
                           cache_dir=cache_dir or project_dir() / "bench" / "cache",
                           select=list(select), as_of=as_of, warm_parse=warm_parse,
                           unit_tests=unit_tests, incremental=incremental)
    report = run_benchmark(options, say=lambda text: console.print(f"[dim]{text}[/dim]"))
    click.echo(Path(report["paths"]["markdown"]).read_text())
    console.print(f"reports: {report['paths']['markdown']}, {report['paths']['json']}")
    incremental_ok = report.get("incremental", {}).get("success", True)
    sys.exit(0 if report["build"]["success"] and incremental_ok else 1)


if __name__ == "__main__":
    main()
