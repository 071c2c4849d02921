"""The `sales-kpis` command line: parses, calls a module, prints."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.table import Table

from sales_kpis.project import default_database, default_raw_dir
from sales_kpis.terminal import DbtProgress, Progress, literal, make_console

# Piped (CI, make demo, a log file), lines are never wrapped (terminal.py).
console = make_console()

DEMO_END_DATE = "2026-10-31"


def _checked_vars(pairs: tuple[str, ...]) -> dict[str, object]:
    """--var KEY=VALUE pairs, each checked against the catalogue of settings before dbt starts."""
    from sales_kpis import settings

    values = _parse_vars(pairs)
    problems = settings.check(values)
    if problems:
        typed = {pair.split("=", 1)[0].strip(): pair for pair in pairs}
        raise click.BadParameter("; ".join(f"{typed.get(problem.name, problem.name)}: {problem.reason}"
                                           for problem in problems), param_hint="'--var'")
    return values


def _check_as_of(_context: click.Context, _parameter: click.Parameter, value: str | None) -> str | None:
    """--as-of: a real YYYY-MM-DD date, checked before dbt starts."""
    from sales_kpis.settings import SettingError, check_as_of

    if value is None:
        return None
    try:
        return check_as_of(value)
    except SettingError as error:
        raise click.BadParameter(str(error)) from error


def _check_currency(_context: click.Context, _parameter: click.Parameter, value: str) -> str:
    from sales_kpis import settings

    reason = settings.problem(settings.spec_of("reporting_currency"), value)
    if reason:
        raise click.BadParameter(reason)
    return value.strip().upper()


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

    with Progress(console, f"generating {leads:,} leads into {out_dir}") as progress:
        counts = generate_data(out_dir, seed=seed, leads=leads, fmt=fmt, start_date=start_date,
                               end_date=end_date, progress=progress.update)
    table = Table("table", "rows", title=literal(f"Wrote {out_dir}"))
    for name, rows in counts.items():
        table.add_row(name, f"{rows:,}")
    console.print(table)


def _print_validation(report) -> None:
    """The problem list; every value from the data is printed as written (never read as markup)."""
    for note in report.notes:
        console.print(f"[dim]note:[/dim] {literal(note)}")
    for problem in report.problems:
        colour = "red" if problem.severity == "error" else "yellow"
        where = ", ".join(part for part in (problem.key, f"column {problem.column}" if problem.column else None) if part)
        text = f"{problem.table}: {problem.problem}" + (f" ({where})" if where else "") + (
            f" - {problem.detail}" if problem.detail else "")
        console.print(f"[{colour}]{problem.severity}[/{colour}] {literal(text)}")
    console.print(literal(report.summary()))


@main.command()
@click.option("--raw-dir", type=click.Path(file_okay=False, path_type=Path), default=None, help="Raw-data directory (default $SALES_KPIS_RAW_DIR or data/raw).")
@click.option("--reporting-currency", default="USD", show_default=True, callback=_check_currency,
              help="The currency amounts are reported in (three letters): amounts in another need a rate.")
def validate(raw_dir: Path | None, reporting_currency: str) -> None:
    """Check raw files against the contract; exit 1 on any error."""
    from sales_kpis.validate import validate as validate_raw

    report = validate_raw(raw_dir or default_raw_dir(), reporting_currency=reporting_currency)
    _print_validation(report)
    sys.exit(0 if report.ok else 1)


def _raw_dir_named(raw_dir: Path | None) -> tuple[Path, str]:
    """The raw-data directory of a build, and how the user named it (for messages)."""
    import os

    if raw_dir is not None:
        return raw_dir, f"--raw-dir {raw_dir}"
    if os.environ.get("SALES_KPIS_RAW_DIR"):
        return default_raw_dir(), f"SALES_KPIS_RAW_DIR={default_raw_dir()}"
    return default_raw_dir(), f"the default raw-data directory {default_raw_dir()} (no --raw-dir)"


def _run_build(raw_dir: Path | None, database: Path | None, as_of: str | None, target: str,
               variables: dict[str, object], select: tuple[str, ...], threads: int | None,
               full_refresh: bool = False, verbose: bool = False, unit_tests: bool = False) -> bool:
    from sales_kpis import incremental
    from sales_kpis.dbt_runner import DbtOptions, describe_failing_row, failing_rows
    from sales_kpis.publish import PublishError, build_problem

    raw_dir, raw_dir_named = _raw_dir_named(raw_dir)
    options = DbtOptions(
        raw_dir=raw_dir,
        database=database or default_database(),
        target=target,
        as_of=as_of,
        variables=variables,
        select=list(select),
        threads=threads,
        full_refresh=full_refresh,
        unit_tests=unit_tests,
    )
    reason = build_problem(options, raw_dir_named, as_of_given=as_of is not None)
    if reason:
        console.print(f"[red]cannot build:[/red] {literal(reason)}")
        return False

    def announce(decision: incremental.Decision) -> None:
        if decision.message:
            console.print(f"[dim]{literal(decision.message)}[/dim]")

    try:
        with DbtProgress(Progress(console, "dbt build")) as progress:
            result, _ = incremental.build(options, on_event=progress.on_event,
                                          extra_args=[] if verbose else ["--log-level", "none"],
                                          on_decision=announce)
    except PublishError as error:
        console.print(f"[red]not published:[/red] {literal(error)}")
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
            console.print(f"    {label}: {literal(describe_failing_row(row)[:300])}")
        if node.failures and node.failures > len(rows):
            console.print(f"    ... and {node.failures - len(rows):,} more")

    for warning in run.warnings:
        console.print(f"[yellow]warn[/yellow] {literal(f'{warning.name}: {warning.message}')}")
        show_rows(warning, 5, "row")
    for failure in run.failures:
        console.print(f"[red]{failure.status}[/red] "
                      f"{literal(f'{failure.resource_type} {failure.name}: {failure.message}')}")
        show_rows(failure, 3, "failing row")
    if run.exception:
        console.print(f"[red]dbt failed:[/red] {literal(run.exception)}")
    for note in result.notes:
        console.print(f"[yellow]note:[/yellow] {literal(note)}")
    ok = result.ok
    if target != "duckdb":
        console.print("[green]build succeeded[/green]" if ok else "[red]build failed[/red]")
    elif ok:
        console.print(f"[green]build succeeded[/green], published {literal(result.published)}")
    else:
        kept = f"; the failed build is kept in {result.built}" if result.built.exists() else ""
        console.print(f"[red]build failed[/red]: {literal(f'{result.published} was not changed{kept}')}")
    return ok


@main.command()
@click.option("--raw-dir", type=click.Path(file_okay=False, path_type=Path), default=None, help="Raw-data directory (default $SALES_KPIS_RAW_DIR or data/raw).")
@click.option("--database", type=click.Path(dir_okay=False, path_type=Path), default=None, help="The published DuckDB file (default $SALES_KPIS_DUCKDB_PATH or warehouse/sales_kpis.duckdb); the build writes beside it and replaces it only when every test passed.")
@click.option("--as-of", "as_of", default=None, callback=_check_as_of, help="As-of date (YYYY-MM-DD); default today.")
@click.option("--target", type=click.Choice(["duckdb", "postgres", "spark"]), default="duckdb", show_default=True,
              help="profiles.yml target (postgres and spark need their dbt adapter: make engines).")
@click.option("--var", "var_pairs", multiple=True, help="A setting (dbt var), KEY=VALUE (repeatable); checked against its type and range in dbt_project.yml before dbt starts.")
@click.option("--select", multiple=True, help="dbt selection (repeatable); at the warehouse's as-of date and settings.")
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
    then those facts recompute only what changed. Options are checked before
    dbt starts.
    """
    ok = _run_build(raw_dir, database, as_of, target, _checked_vars(var_pairs), select, threads, full_refresh, verbose,
                    unit_tests)
    sys.exit(0 if ok else 1)


@main.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True, help="Directory to write index.html to.")
@click.option("--database", type=click.Path(dir_okay=False, path_type=Path), default=None, help="The published DuckDB file (default $SALES_KPIS_DUCKDB_PATH or warehouse/sales_kpis.duckdb); opened read-only.")
@click.option("--currency", default=None, help="Reporting currency label (default: the build's, from build_metadata).")
@click.option("--screenshot", "screenshot_png", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Also save a PNG of the page (headless Chromium).")
def report(out_dir: Path, database: Path | None, currency: str | None, screenshot_png: Path | None) -> None:
    """Write a self-contained HTML dashboard of the headline KPIs (no server or network needed to view it)."""
    from sales_kpis.report import ReportError, write_report

    database = database or default_database()
    if not Path(database).exists():
        console.print(f"[red]no warehouse at {literal(database)}[/red]: run `sales-kpis build` first")
        sys.exit(1)
    try:
        result = write_report(database, out_dir, currency=currency)
    except ReportError as error:
        console.print(f"[red]report not written:[/red] {literal(error)}")
        sys.exit(1)
    console.print(f"wrote {result.path} (as of {result.context.as_of}, {result.context.currency}): "
                  f"{len(result.with_data)} of {len(result.panels)} charts have data", markup=False)
    for panel in result.without_data:
        console.print(f"[yellow]no data[/yellow] {literal(f'{panel.title}: {panel.missing}')}")
    if screenshot_png is not None:
        from sales_kpis.browser import NoChromium, screenshot

        try:
            console.print(f"screenshot {screenshot(result.path, screenshot_png)}", markup=False)
        except NoChromium as error:
            console.print(f"[red]no screenshot:[/red] {literal(error)}")
            sys.exit(1)


@main.command()
@click.option("--mart", "mart", default=None, help="The mart to export, e.g. kpi_rep_attainment.")
@click.option("--finance-bundle", is_flag=True, help="Rep, team and org attainment, commit and coverage in one workbook (--out PATH.xlsx).")
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
        console.print(f"[red]export failed:[/red] {literal(error)}")
        sys.exit(1)
    for sheet in result.sheets:
        period = f"{sheet.first_period} .. {sheet.last_period}" if sheet.first_period else "no period"
        totals = f", {sheet.totals} totals rows" if sheet.totals else ""
        console.print(f"{sheet.mart}: {sheet.rows:,} rows ({period}){totals}", markup=False)
    for mart_name in result.missing:
        console.print(f"[yellow]not in the warehouse, left out:[/yellow] {mart_name}")
    console.print(f"wrote {result.path} ({result.fmt}), as of {result.stamp.as_of_date}, "
                  f"amounts in {result.stamp.reporting_currency}; mode {result.path.stat().st_mode & 0o777:04o} "
                  "(no access for others: docs/guides/finance.md says how to share it)", markup=False)


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
        console.print(f"[red]import failed:[/red] {literal(source_dir)} is not a directory")
        sys.exit(1)
    function = getattr(importlib.import_module(f"sales_kpis.importers.{module_name}"), function_name)
    try:
        counts = function(source_dir, out_dir)
    except FileNotFoundError as error:
        console.print(f"[red]import failed:[/red] {dataset}: a source file is missing: {literal(error.filename or error)}")
        sys.exit(1)
    except KeyError as error:
        console.print(f"[red]import failed:[/red] {dataset}: a source file lacks the column {literal(error)}")
        sys.exit(1)
    table = Table("table", "rows", title=literal(f"Wrote {out_dir} from {dataset}"))
    for name, rows in counts.items():
        table.add_row(name, f"{rows:,}")
    console.print(table)
    from sales_kpis.importers._tables import latest_event_day

    last_day = latest_event_day(out_dir)
    as_of = f"--as-of {last_day}" if last_day else "--as-of <the data's last day>"
    console.print(literal(f"the data runs to {last_day or '(no dated event)'}; next: sales-kpis validate --raw-dir "
                          f"{out_dir} && sales-kpis build --raw-dir {out_dir} {as_of}"))


@main.command()
@click.option("--raw-dir", type=click.Path(file_okay=False, path_type=Path), default=None, help="Where the demo data lives (default data/raw).")
@click.option("--database", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--leads", type=int, default=20_000, show_default=True, help="Leads to generate when the raw-data directory has no data (ignored, with a note, when it has).")
@click.option("--seed", type=int, default=42, show_default=True)
@click.pass_context
def demo(context: click.Context, raw_dir: Path | None, database: Path | None, leads: int, seed: int) -> None:
    """Generate sample data if absent, validate it, build, and summarise."""
    from sales_kpis.demo import run_demo

    given = {name for name in ("leads", "seed")
             if context.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT}
    ok = run_demo(console, raw_dir or default_raw_dir(), database or default_database(), leads, seed,
                  DEMO_END_DATE, _run_build, _print_validation, given=given)
    sys.exit(0 if ok else 1)



@main.command()
@click.option("--leads", type=int, default=None, help="Leads to generate (or use --scale).")
@click.option("--scale", type=click.Choice(["S", "M", "L", "XL"], case_sensitive=False), default=None,
              help="Named scale: S = 10k, M = 1M, L = 10M, XL = 100M leads.")
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
@click.option("--everyday", is_flag=True,
              help="Also time a second full build in the same directory (dbt parses partially): the everyday build.")
@click.option("--peer", is_flag=True,
              help="Also run the peer (the headline marts in pandas, from the same raw files) and compare.")
@click.option("--peer-memory-limit", type=float, default=None,
              help="Stop the peer past this resident memory, in GiB (default: half the machine's memory).")
def bench(leads, scale, seed, threads, memory_limit, dbt_threads, out_dir, cache_dir, select, as_of, warm_parse,
          unit_tests, incremental, everyday, peer, peer_memory_limit) -> None:
    """Benchmark a full `dbt build` at a scale: wall time, models vs tests vs start-up, peak memory, floor."""
    from sales_kpis.devtools.bench import SCALES, BenchOptions, run_benchmark
    from sales_kpis.project import project_dir

    if leads is None:
        leads = SCALES[(scale or "S").upper()]
    options = BenchOptions(leads=leads, seed=seed, threads=threads, memory_limit=memory_limit,
                           dbt_threads=dbt_threads, out_dir=out_dir or project_dir() / "bench" / "results",
                           cache_dir=cache_dir or project_dir() / "bench" / "cache",
                           select=list(select), as_of=as_of, warm_parse=warm_parse,
                           unit_tests=unit_tests, incremental=incremental, everyday=everyday, peer=peer,
                           peer_memory_limit_gib=peer_memory_limit)
    report = run_benchmark(options, say=lambda text: console.print(f"[dim]{text}[/dim]"))
    click.echo(Path(report["paths"]["markdown"]).read_text())
    console.print(f"reports: {report['paths']['markdown']}, {report['paths']['json']}")
    others_ok = all(report.get(part, {}).get("success", True) for part in ("incremental", "everyday", "peer"))
    sys.exit(0 if report["build"]["success"] and others_ok else 1)


if __name__ == "__main__":
    main()
