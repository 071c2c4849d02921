"""The `sales-kpis` command line: help, generate, validate and --var parsing (no dbt invocation here)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import click
import duckdb
import pytest
from click.testing import CliRunner
from conftest import copy_raw

from sales_kpis import cli, contract
from sales_kpis.generate import GENERATED_TABLES
from sales_kpis.dbt_runner import DbtOptions, dbt_args
from sales_kpis.project import project_dir

COMMANDS = ["generate", "validate", "build", "demo", "import"]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def unwrapped(text: str) -> str:
    """Output with whitespace removed: rich wraps long lines at the terminal width."""
    return "".join(text.split())


# --------------------------------------------------------------------------- help


def test_main_help_lists_every_command(runner):
    result = runner.invoke(cli.main, ["--help"])
    assert result.exit_code == 0, result.output
    for command in COMMANDS:
        assert command in result.output


@pytest.mark.parametrize("command, options", [
    ("generate", ["--out", "--seed", "--leads", "--format", "--start-date", "--end-date"]),
    ("validate", ["--raw-dir", "--reporting-currency"]),
    ("build", ["--raw-dir", "--database", "--as-of", "--target", "--var", "--select", "--threads"]),
    ("demo", ["--raw-dir", "--database", "--leads", "--seed"]),
])
def test_command_help(runner, command, options):
    result = runner.invoke(cli.main, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert f"Usage: main {command}" in result.output or f"{command} [OPTIONS]" in result.output
    for option in options:
        assert option in result.output, f"{command} --help does not mention {option}"


def test_version(runner):
    result = runner.invoke(cli.main, ["--version"])
    assert result.exit_code == 0
    assert "0.1.0" in result.output


# --------------------------------------------------------------------------- generate


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_generate_writes_every_generated_contract_table(runner, tmp_path, fmt):
    out = tmp_path / "raw"
    result = runner.invoke(cli.main, ["generate", "--out", str(out), "--seed", "3", "--leads", "400", "--format", fmt])
    assert result.exit_code == 0, result.output
    written = {path.name for path in out.iterdir()}
    expected = {f"{name}.{fmt}" for name in GENERATED_TABLES}
    assert expected <= written, f"missing: {expected - written}"
    reader = "read_parquet" if fmt == "parquet" else "read_csv"
    with duckdb.connect() as connection:
        assert connection.execute(f"select count(*) from {reader}('{out / ('leads.' + fmt)}')").fetchone()[0] == 400
        for name in GENERATED_TABLES:
            columns = [row[0] for row in connection.execute(
                f"describe select * from {reader}('{out / (name + '.' + fmt)}')").fetchall()]
            assert columns == contract.TABLES[name].column_names, name
    assert "leads" in result.output  # the summary table of rows written


def test_generate_is_deterministic(runner, tmp_path):
    for name in ("a", "b"):
        result = runner.invoke(cli.main, ["generate", "--out", str(tmp_path / name), "--seed", "11", "--leads", "300",
                                          "--format", "csv"])
        assert result.exit_code == 0, result.output
    for path in (tmp_path / "a").iterdir():
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes(), path.name


def test_generate_requires_out(runner):
    result = runner.invoke(cli.main, ["generate"])
    assert result.exit_code == 2
    assert "--out" in result.output


# --------------------------------------------------------------------------- validate


def test_validate_clean_data_exits_0(runner, generated_raw_dir):
    result = runner.invoke(cli.main, ["validate", "--raw-dir", str(generated_raw_dir)])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output


def test_validate_corrupted_data_exits_1_naming_table_and_key(runner, generated_raw_dir, tmp_path):
    raw = copy_raw(generated_raw_dir, tmp_path / "raw")
    path = raw / "opportunities.parquet"
    with duckdb.connect() as connection:
        duplicate = connection.execute(f"select min(opportunity_id) from read_parquet('{path}')").fetchone()[0]
        connection.execute(f"copy (select * from read_parquet('{path}') union all "
                           f"select * from read_parquet('{path}') where opportunity_id = '{duplicate}') "
                           f"to '{tmp_path / 'dup.parquet'}' (format parquet)")
    shutil.move(tmp_path / "dup.parquet", path)

    result = runner.invoke(cli.main, ["validate", "--raw-dir", str(raw)])

    assert result.exit_code == 1, result.output
    flat = unwrapped(result.output)
    assert "opportunities" in result.output
    assert duplicate in flat
    assert "error" in result.output


def test_validate_missing_table_exits_1(runner, generated_raw_dir, tmp_path):
    raw = copy_raw(generated_raw_dir, tmp_path / "raw", exclude=["targets"])
    result = runner.invoke(cli.main, ["validate", "--raw-dir", str(raw)])
    assert result.exit_code == 1, result.output
    assert "targets" in result.output


def test_validate_reads_sales_kpis_raw_dir(runner, generated_raw_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("SALES_KPIS_RAW_DIR", str(generated_raw_dir))
    assert runner.invoke(cli.main, ["validate"]).exit_code == 0
    monkeypatch.setenv("SALES_KPIS_RAW_DIR", str(tmp_path / "empty"))
    (tmp_path / "empty").mkdir()
    assert runner.invoke(cli.main, ["validate"]).exit_code == 1


# --------------------------------------------------------------------------- --var


@pytest.mark.parametrize("pair, expected", [
    ("fiscal_year_start_month=2", {"fiscal_year_start_month": 2}),
    ("reporting_currency=EUR", {"reporting_currency": "EUR"}),
    ("as_of_date=2026-10-31", {"as_of_date": "2026-10-31"}),  # an ISO date stays text for dbt
    ("flag=true", {"flag": True}),
    ("types=[new_business, expansion]", {"types": ["new_business", "expansion"]}),
    ("expression=a=b", {"expression": "a=b"}),  # only the first '=' splits
    (" key =value", {"key": "value"}),
    ("empty=", {"empty": ""}),
])
def test_parse_vars(pair, expected):
    parsed = cli._parse_vars((pair,))
    assert parsed == expected
    json.dumps(parsed)  # dbt vars travel as JSON


def test_parse_vars_repeatable_last_wins():
    assert cli._parse_vars(("a=1", "b=x", "a=2")) == {"a": 2, "b": "x"}


def test_parse_vars_rejects_pair_without_equals():
    with pytest.raises(click.BadParameter):
        cli._parse_vars(("fiscal_year_start_month",))


def test_build_rejects_bad_var_before_running_dbt(runner, tmp_path):
    result = runner.invoke(cli.main, ["build", "--raw-dir", str(tmp_path), "--database", str(tmp_path / "wh.duckdb"),
                                      "--var", "no_equals_sign"])
    assert result.exit_code == 2, result.output
    assert "KEY=VALUE" in result.output
    assert not (tmp_path / "wh.duckdb").exists()


def test_vars_reach_dbt_as_json():
    options = DbtOptions(raw_dir=Path("data/raw"), as_of="2026-10-31",
                         variables=cli._parse_vars(("fiscal_year_start_month=2", "reporting_currency=EUR")))
    args = dbt_args("build", options)
    passed = json.loads(args[args.index("--vars") + 1])
    assert passed["fiscal_year_start_month"] == 2
    assert passed["reporting_currency"] == "EUR"
    # the as-of date, the raw-data directory and the file dbt builds into travel as env vars: a changed
    # --vars value re-parses the whole project, and a direct `dbt build` sets the same variables
    assert "as_of_date" not in passed and options.environment()["SALES_KPIS_AS_OF_DATE"] == "2026-10-31"
    assert "raw_dir" not in passed and Path(options.environment()["SALES_KPIS_RAW_DIR"]).is_absolute()
    assert set(passed) == {"fiscal_year_start_month", "reporting_currency"}


def test_a_build_without_vars_passes_no_vars_to_dbt():
    """The runner's dbt invocation parses as a direct `dbt build` with the README's environment variables."""
    options = DbtOptions(raw_dir=Path("data/raw"), database=Path("warehouse/x.duckdb"), as_of="2026-10-31")
    assert "--vars" not in dbt_args("build", options)
    environment = options.environment()
    assert environment["SALES_KPIS_DBT_DUCKDB_PATH"].endswith("x.duckdb")
    assert "SALES_KPIS_DUCKDB_PATH" not in environment, "that variable names the published file, for the runner"


def test_var_as_of_date_reaches_dbt_as_text():
    args = dbt_args("build", DbtOptions(variables=cli._parse_vars(("as_of_date=2026-10-31",))))
    assert json.loads(args[args.index("--vars") + 1]) == {"as_of_date": "2026-10-31"}


# --------------------------------------------------------------------------- demo


def test_demo_summary_counts_the_published_tables(built_warehouse):
    """The demo's closing summary reads the warehouse the same process just built."""
    from sales_kpis.demo import summarise

    summary = dict(summarise(built_warehouse.database))
    staged_leads = built_warehouse.scalar(f"select count(*) from {built_warehouse.relation('stg_crm__leads')}")
    assert "main_data_quality.dq_record_issues" in summary
    assert "main.dim_dates" in summary and summary["main.dim_dates"] > 0
    assert not any(name.startswith("raw.") for name in summary)
    assert not any("stg_crm__" in name for name in summary), "staging views are not listed"
    assert staged_leads > 0


# --------------------------------------------------------------------------- import

SHARED_DATASETS = project_dir().parent / "shared" / "datasets"


def test_import_names_the_missing_source_file(runner, tmp_path):
    (tmp_path / "source").mkdir()
    result = runner.invoke(cli.main, ["import", "olist", str(tmp_path / "source"), "--out", str(tmp_path / "raw")])
    assert result.exit_code == 1, result.output
    assert "olist_marketing_qualified_leads_dataset.csv" in unwrapped(result.output)


def test_import_rejects_an_unknown_dataset(runner, tmp_path):
    result = runner.invoke(cli.main, ["import", "hubspot", str(tmp_path), "--out", str(tmp_path / "raw")])
    assert result.exit_code == 2
    assert "olist" in result.output and "ravenstack" in result.output


@pytest.mark.skipif(not (SHARED_DATASETS / "olist_marketing_funnel").is_dir(),
                    reason="the shared datasets are not beside the repository")
def test_import_olist_writes_a_raw_directory_the_validator_reads(runner, tmp_path):
    """The 8,000 real MQLs land in leads; the validator flags the one real deal won before its first contact
    (the build repairs and lists it: tests/test_olist_import.py) and nothing else that is an error."""
    out = tmp_path / "raw"
    result = runner.invoke(cli.main, ["import", "olist", str(SHARED_DATASETS / "olist_marketing_funnel"),
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "8,000" in result.output  # the real MQLs
    # the build it suggests is as of the data's last event (the last deal won)
    assert "sales-kpisbuild--raw-dir" in unwrapped(result.output) and "--as-of2018-11-14" in unwrapped(result.output)
    with duckdb.connect() as connection:
        leads = connection.execute(f"select count(*) from read_parquet('{out / 'leads.parquet'}')").fetchone()[0]
    assert leads == 8000
    validated = runner.invoke(cli.main, ["validate", "--raw-dir", str(out)])
    # The problems table: "<table> <problem> <severity> <rows>".
    errors = [parts for parts in map(str.split, validated.output.splitlines())
              if len(parts) == 4 and parts[2] == "error"]
    assert validated.exit_code == 1, validated.output
    assert errors == [["opportunities", "close_before_creation", "error", "1"]], validated.output


def test_latest_event_day_ignores_plans_and_the_future(tmp_path):
    """The suggested as-of date: the last thing that happened, not an expected close date or a future start."""
    import pandas as pd

    from sales_kpis.importers._tables import latest_event_day

    assert latest_event_day(tmp_path) is None
    pd.DataFrame({"lead_id": ["l1", "l2"], "created_at": pd.to_datetime(["2025-01-10 08:00", "2025-01-03 00:00"]),
                  "converted_at": pd.to_datetime([None, "2025-01-12 23:59"])}).to_parquet(tmp_path / "leads.parquet")
    pd.DataFrame({"opportunity_id": ["o1"], "created_at": ["2025-01-11 10:00:00"], "updated_at": [""],
                  "close_date": ["2030-06-30"]}).to_csv(tmp_path / "opportunities.csv", index=False)
    pd.DataFrame({"subscription_id": ["s1", "s2"], "starts_on": pd.to_datetime(["2024-12-01", "2099-01-01"]).date,
                  "ends_on": pd.to_datetime(["2031-01-01", "2100-01-01"]).date}).to_parquet(tmp_path / "subscriptions.parquet")
    assert latest_event_day(tmp_path, today="2026-11-27") == "2025-01-12"
    assert latest_event_day(tmp_path, today="2025-01-11") == "2025-01-11"


def test_a_partial_build_leaves_out_tests_reaching_unselected_models():
    """`sales-kpis build --select X`: dbt's default (eager) would also run a relationship test of X against an
    unselected, unbuilt model, and fail for a reason that is not the data's."""
    selected = dbt_args("build", DbtOptions(select=["+int_account_product_arr_monthly"]))
    assert selected[selected.index("--indirect-selection") + 1] == "cautious"
    assert "--indirect-selection" not in dbt_args("build", DbtOptions())


def test_build_after_an_upgrade_that_changed_an_incremental_fact_needs_no_full_refresh(runner, generated_raw_dir,
                                                                                       tmp_path):
    """A warehouse built before an incremental fact gained a column: a --select build is never incremental
    (docs/decisions/0030-full-builds-by-default.md), so it rebuilds the fact with its new column."""
    database = tmp_path / "wh.duckdb"
    build = ["build", "--raw-dir", str(generated_raw_dir), "--database", str(database),
             "--select", "+int_opportunity_stage_entries"]
    first = runner.invoke(cli.main, build)
    assert first.exit_code == 0, first.output
    with duckdb.connect(str(database)) as connection:  # the table as an older release left it
        connection.execute("alter table main_intermediate.int_opportunity_stage_entries drop column built_as_of_date")
    upgraded = runner.invoke(cli.main, build)
    assert upgraded.exit_code == 0, upgraded.output
    with duckdb.connect(str(database)) as connection:
        columns = {row[0] for row in
                   connection.execute("describe main_intermediate.int_opportunity_stage_entries").fetchall()}
    assert "built_as_of_date" in columns


# --------------------------------------------------------------------------- output: whole lines, literal values, progress


def test_piped_output_keeps_every_line_whole():
    """Piped (CI, make demo, a log), a long line is printed on one line, not wrapped at 80 columns."""
    import io

    from sales_kpis.terminal import make_console

    out = io.StringIO()
    console = make_console(file=out)
    long_line = "failing row: " + "x" * 300 + " /a/very/long/path/" + "y" * 100
    console.print(long_line)
    assert out.getvalue() == long_line + "\n"


def test_validate_prints_values_with_markup_as_written(runner, generated_raw_dir, tmp_path):
    """A stage named `Closed Won[/x]` or `[link=...]...[/link]` is listed as a problem, printed literally."""
    raw = copy_raw(generated_raw_dir, tmp_path / "raw", exclude=["opportunity_stage_history"])
    source = generated_raw_dir / "opportunity_stage_history.parquet"
    with duckdb.connect() as connection:
        connection.execute(f"""
            copy (select * replace (case row_number() over () when 1 then 'Closed Won[/x]'
                                    when 2 then '[link=http://evil.example]Discovery[/link]' else stage_name end
                                    as stage_name)
                  from read_parquet('{source}')) to '{raw / 'opportunity_stage_history.parquet'}' (format parquet)""")
    result = runner.invoke(cli.main, ["validate", "--raw-dir", str(raw)])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "stage 'Closed Won[/x]' is not in the stages config" in result.output
    assert "'[link=http://evil.example]Discovery[/link]'" in result.output


def test_progress_prints_at_its_rate_when_piped():
    import io

    from sales_kpis.terminal import DbtProgress, Progress, make_console

    now = [0.0]
    out = io.StringIO()
    progress = Progress(make_console(file=out), "dbt build", interval=15, clock=lambda: now[0])
    tracker = DbtProgress(progress, clock=lambda: now[0])
    with progress:
        tracker.started = 0.0
        tracker.on_event("total", total=3)
        for second, (kind, name) in enumerate([("start", "stg_a"), ("finish", "stg_a"), ("start", "fct_b"),
                                              ("start", "kpi_c"), ("finish", "kpi_c")], start=1):
            now[0] = second * 5.0
            tracker.on_event(kind, name)
    lines = out.getvalue().splitlines()
    assert lines == ["dbt build",
                     "dbt build: 0/3 nodes done in 0 s",
                     "dbt build: 1/3 nodes done in 15 s, slowest running: fct_b (0 s)"]


def test_progress_piped_never_prints_the_same_line_twice():
    import io

    from sales_kpis.terminal import DbtProgress, Progress, make_console

    now = [0.0]
    out = io.StringIO()
    progress = Progress(make_console(file=out), "dbt build", interval=15, clock=lambda: now[0])
    tracker = DbtProgress(progress, clock=lambda: now[0])
    tracker.started = 0.0
    with progress:
        tracker.on_event("total", total=1)
        tracker.on_event("start", "kpi_a")
        now[0] = 20.0
        tracker.on_event("finish", "kpi_a")  # 15 s since the last line: printed
        tracker.__exit__(None, None, None)  # the closing line is the same: not printed again
    assert out.getvalue().splitlines() == ["dbt build", "dbt build: 0/1 nodes done in 0 s",
                                           "dbt build: 1/1 nodes done in 20 s"]


def test_dbt_events_become_progress_events():
    from types import SimpleNamespace as Event

    from sales_kpis.dbt_runner import dbt_callback

    seen = []
    callback = dbt_callback(lambda kind, name, total: seen.append((kind, name, total)))
    node = Event(node_name="kpi_x", node_status="success")
    callback(Event(info=Event(name="ConcurrencyLine"), data=Event(node_count=42)))
    callback(Event(info=Event(name="NodeStart"), data=Event(node_info=node)))
    callback(Event(info=Event(name="MainReportVersion"), data=Event()))
    callback(Event(info=Event(name="NodeFinished"), data=Event(node_info=node)))
    assert seen == [("total", "", 42), ("start", "kpi_x", None), ("finish", "kpi_x", None)]


def test_generate_reports_progress_while_it_writes_the_leads(tmp_path):
    from sales_kpis.generate import generate

    said = []
    generate(tmp_path / "raw", leads=300, progress=said.append)
    assert [text for text in said if text.startswith("leads: ") and " of about 300" in text], said
    assert "generating new business" in said


# --------------------------------------------------------------------------- checked before dbt starts


def _invoke_timed(runner, arguments):
    import time

    started = time.perf_counter()
    result = runner.invoke(cli.main, arguments)
    return result, time.perf_counter() - started


@pytest.mark.parametrize("option, expected", [
    (["--as-of", "2026-13-45"], "Invalid value for '--as-of': must be a date (YYYY-MM-DD), got '2026-13-45'"),
    (["--as-of", "2026-02-29"], "got '2026-02-29'"),
    (["--var", "calendar_horizon_days=730 + (select 1)"],
     "calendar_horizon_days=730 + (select 1): must be an integer from 0 to 3660, got '730 + (select 1)'"),
    (["--var", "default_ramp_months=3; drop table users"], "default_ramp_months=3; drop table users: must be an integer"),
    (["--var", "reporting_currency=USD' || (select 1) || '"], "must be a currency code (three letters)"),
    (["--var", "fiscal_year_start_month=13"], "must be an integer from 1 to 12, got '13'"),
    (["--var", "reportng_currency=EUR"], "is not a setting of this project (did you mean reporting_currency?)"),
])
def test_build_rejects_a_bad_setting_at_once_naming_the_option(runner, tmp_path, option, expected):
    database = tmp_path / "wh.duckdb"
    result, seconds = _invoke_timed(runner, ["build", "--raw-dir", str(tmp_path), "--database", str(database), *option])
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert seconds < 5, "checked before dbt starts"
    assert not any(tmp_path.glob("wh*")), "nothing written"


def test_build_names_a_raw_dir_that_does_not_exist(runner, tmp_path):
    result, seconds = _invoke_timed(runner, ["build", "--raw-dir", str(tmp_path / "nope"),
                                             "--database", str(tmp_path / "wh.duckdb")])
    assert result.exit_code == 1, result.output
    assert f"cannot build: --raw-dir {tmp_path / 'nope'}: no such directory" in result.output
    assert seconds < 5 and not (tmp_path / "wh.duckdb").exists()


def test_build_on_a_target_without_its_adapter_says_what_to_install(runner, tmp_path):
    from sales_kpis.dbt_runner import missing_adapter

    if missing_adapter("postgres") is None:
        pytest.skip("dbt-postgres is installed here")
    result = runner.invoke(cli.main, ["build", "--target", "postgres", "--raw-dir", str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert "--target postgres: the postgres target needs the dbt adapter dbt-postgres" in result.output
    assert "pip install 'dbt-postgres==1.11.0'" in result.output


def test_a_reporting_currency_the_data_cannot_convert_into_stops_before_dbt(runner, generated_raw_dir, tmp_path):
    result, seconds = _invoke_timed(runner, ["build", "--raw-dir", str(generated_raw_dir), "--database",
                                             str(tmp_path / "wh.duckdb"), "--var", "reporting_currency=XXX"])
    assert result.exit_code == 1, result.output
    assert "--var reporting_currency=XXX: amounts in USD have no rate into XXX" in result.output
    assert "the data's rates convert into USD" in result.output
    assert seconds < 10 and not (tmp_path / "wh.duckdb").exists()


def test_a_partial_build_at_another_as_of_date_stops_at_once(runner, built_warehouse, tmp_path):
    """--select with another --as-of than the warehouse's would mix two dates: stopped before dbt, naming both."""
    from conftest import copy_warehouse

    published = copy_warehouse(built_warehouse.database, tmp_path / "wh.duckdb")
    before = published.read_bytes()
    result, seconds = _invoke_timed(runner, ["build", "--raw-dir", str(built_warehouse.raw_dir), "--database",
                                             str(published), "--select", "kpi_new_business", "--as-of", "2026-09-30"])
    assert result.exit_code == 1, result.output
    text = unwrapped(result.output)
    assert unwrapped("as_of_date 2026-10-31 in the warehouse, 2026-09-30 in this build") in text
    assert unwrapped("leave out --select), or keep the warehouse's: --as-of 2026-10-31") in text
    assert seconds < 10 and published.read_bytes() == before


def test_demo_says_when_leads_are_ignored(generated_raw_dir, tmp_path):
    import io

    from sales_kpis.demo import run_demo
    from sales_kpis.terminal import make_console

    out = io.StringIO()
    ok = run_demo(make_console(file=out), generated_raw_dir, tmp_path / "wh.duckdb", 50, 42, "2026-10-31",
                  run_build=lambda *arguments: False, print_validation=lambda report: None, given={"leads"})
    assert not ok
    assert f"--leads 50 ignored: data is generated only into a directory without it (remove {generated_raw_dir}" \
        in out.getvalue()
