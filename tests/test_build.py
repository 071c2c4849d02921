"""End-to-end builds of the dbt project on generated data.

dbt invocations are slow (~10 s each), so the checks are grouped per build:
the session's shared build (`built_warehouse`), one resilient build (optional
tables absent, the user's own stages file, a record-level anomaly), one build
of data that fails tests, and one with a required table and a column missing.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from conftest import (AS_OF, build_ok, copy_raw, describe_run, not_null_tested, query, relation, run_build,
                      unique_keys)

from sales_kpis import cli, contract

pytestmark = pytest.mark.slow

OPTIONAL = ["products", "exchange_rates", "activities"]


def staging_model(table: str) -> str:
    return f"stg_crm__{table}"


def rewrite_parquet(path: Path, select_sql: str) -> None:
    """Replace a parquet file by `select_sql` over it (referenced as `source`)."""
    scratch = path.with_suffix(".new.parquet")
    with duckdb.connect() as connection:
        connection.execute(f"create view source as select * from read_parquet('{path}')")
        connection.execute(f"copy ({select_sql}) to '{scratch}' (format parquet)")
    scratch.replace(path)


def parquet_to_csv(path: Path, select_sql: str = "select * from source") -> Path:
    """Turn <table>.parquet into <table>.csv (text, as an export would be) through `select_sql`."""
    out = path.with_suffix(".csv")
    with duckdb.connect() as connection:
        connection.execute(f"create view source as select * from read_parquet('{path}')")
        connection.execute(f"copy ({select_sql}) to '{out}' (format csv, header true)")
    path.unlink()
    return out


def run_cli_build(raw_dir: Path, workdir: Path, monkeypatch: pytest.MonkeyPatch,
                  extra: tuple[str, ...] = ()) -> tuple[int, str]:
    """`sales-kpis build` in-process (extra: more options); returns (exit code, output)."""
    monkeypatch.setenv("DBT_TARGET_PATH", str(workdir / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(workdir / "logs"))
    result = CliRunner().invoke(
        cli.main, ["build", "--raw-dir", str(raw_dir), "--database", str(workdir / "wh.duckdb"), "--as-of", AS_OF,
                   *extra]
    )
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def unwrapped(text: str) -> str:
    """Output with whitespace removed: rich wraps long lines at the terminal width."""
    return "".join(text.split())


# --------------------------------------------------------------------------- the shared build


def test_build_succeeds(built_warehouse):
    run = built_warehouse.run
    assert build_ok(run), describe_run(run)
    counts = run.counts()
    assert counts["model"]["success"] >= len(contract.TABLES)
    assert counts["test"]["pass"] > 0
    # The session build is make test's dbt build: unit tests included.
    assert counts["unit_test"]["pass"] > 0, dict(counts["unit_test"])
    assert not run.failures


def test_every_contract_table_has_a_staging_model_with_a_primary_key_test(built_warehouse):
    """Unique (an error-severity test holds the contract's primary key unique) and,
    for a one-column key, not null."""
    manifest = json.loads(built_warehouse.manifest_path.read_text())
    models = {node["name"]: uid for uid, node in manifest["nodes"].items() if node["resource_type"] == "model"}

    missing = []
    for table in contract.TABLES.values():
        name = staging_model(table.name)
        if name not in models:
            missing.append(f"{table.name}: no model {name}")
            continue
        key = sorted(table.primary_key)
        unique = any(sorted(columns) == key for columns in unique_keys(manifest, models[name]))
        not_null = len(key) > 1 or key[0] in not_null_tested(manifest, models[name])
        if not (unique and not_null):
            missing.append(f"{name}: no error-severity primary-key test on {key}")
    assert not missing, "\n".join(missing)


def test_every_model_and_seed_is_published(built_warehouse):
    manifest = json.loads(built_warehouse.manifest_path.read_text())
    present = {(schema, name) for schema, name in built_warehouse.query(
        "select table_schema, table_name from information_schema.tables")}
    expected = {
        (node["schema"], node["alias"])
        for node in manifest["nodes"].values()
        if node["resource_type"] in {"model", "seed"} and node["config"].get("materialized") != "ephemeral"
        and node["config"].get("enabled", True)
    }
    assert expected, "the manifest lists no models"
    assert not expected - present, f"not in the warehouse: {sorted(expected - present)}"
    for name in [staging_model(table) for table in contract.TABLES] + ["dq_record_issues", "dim_dates", "dim_periods"]:
        built_warehouse.relation(name)
    # the published KPI marts are tables in the target schema, findable by name
    for schema, name in expected:
        if name.startswith("kpi_"):
            assert schema == "main", f"{name} is published in {schema}, not in the target schema"


def test_raw_views_bind_every_generated_table(built_warehouse):
    raw = {name for (name,) in built_warehouse.query(
        "select table_name from information_schema.tables where table_schema = 'raw'")}
    generated = {path.name.split(".")[0] for path in built_warehouse.raw_dir.iterdir()}
    assert raw == generated & set(contract.TABLES)


@pytest.mark.parametrize("table, key", [("leads", "lead_id"), ("opportunities", "opportunity_id")])
def test_deleted_rows_are_removed(built_warehouse, table, key):
    raw_total, raw_deleted = built_warehouse.query(
        f"select count(*), count(*) filter (where coalesce(is_deleted, false)) from raw.{table}")[0]
    staged = built_warehouse.scalar(f"select count(*) from {built_warehouse.relation(staging_model(table))}")
    assert staged == raw_total - raw_deleted
    leaked = built_warehouse.scalar(
        f"select count(*) from {built_warehouse.relation(staging_model(table))} "
        f"where {key} in (select {key} from raw.{table} where is_deleted)")
    assert leaked == 0
    if raw_deleted == 0:
        pytest.skip(f"the generated {table} have no deleted rows (SALES_KPIS_TEST_LEADS too small?)")


def test_null_lead_source_becomes_unknown(built_warehouse):
    null_sources = built_warehouse.scalar(
        "select count(*) from raw.leads where lead_source is null and not coalesce(is_deleted, false)")
    raw_unknown = built_warehouse.scalar(
        "select count(*) from raw.leads where lower(trim(lead_source)) = 'unknown' and not coalesce(is_deleted, false)")
    leads = built_warehouse.relation("stg_crm__leads")
    assert built_warehouse.scalar(f"select count(*) from {leads} where lead_source is null") == 0
    assert built_warehouse.scalar(f"select count(*) from {leads} where lead_source = 'unknown'") == null_sources + raw_unknown
    if null_sources == 0:
        pytest.skip("the generated leads have no null lead_source")


def test_staging_keeps_every_raw_row_of_the_other_tables(built_warehouse):
    """No row lost or doubled between raw and staging (deleted rows aside)."""
    for table in contract.TABLES:
        if table in {"leads", "opportunities", "stages"}:
            continue
        raw_rows = built_warehouse.scalar(f"select count(*) from raw.{table}") if (
            built_warehouse.query(f"select count(*) from information_schema.tables where table_schema = 'raw' "
                                  f"and table_name = '{table}'")[0][0]) else 0
        staged = built_warehouse.scalar(f"select count(*) from {built_warehouse.relation(staging_model(table))}")
        assert staged == raw_rows, table


def test_default_stages_come_from_the_seed(built_warehouse):
    stages = built_warehouse.query(
        f"select stage_name, stage_number, is_closed, is_won, cast(forecast_probability as double) "
        f"from {built_warehouse.relation('stg_crm__stages')} order by stage_number nulls last")
    assert [(name, number, closed, won, round(p, 4)) for name, number, closed, won, p in stages] == [
        (name, number, closed, won, round(p, 4)) for name, number, closed, won, p in contract.DEFAULT_STAGES]


# --------------------------------------------------------------------------- a resilient build


CUSTOM_STAGES = [
    # the generated data's stage names, with a stage added and other probabilities
    ("Prospecting", 0, False, False, 0.02),
    ("Discovery", 1, False, False, 0.08),
    ("Qualification", 2, False, False, 0.15),
    ("Solution", 3, False, False, 0.35),
    ("Proposal", 4, False, False, 0.50),
    ("Negotiation", 5, False, False, 0.70),
    ("Legal Review", 6, False, False, 0.90),
    ("Closed Won", 7, True, True, 1.00),
    ("Closed Lost", None, True, False, 0.00),
]


@pytest.fixture(scope="module")
def resilient_build(generated_raw_dir, tmp_path_factory):
    """Optional tables absent, every amount in USD, the user's own stages.csv, one negative amount."""
    workdir = tmp_path_factory.mktemp("resilient")
    raw = copy_raw(generated_raw_dir, workdir / "raw", exclude=OPTIONAL)
    # Without exchange_rates every amount must be in the reporting currency.
    rewrite_parquet(raw / "opportunities.parquet", "select * replace ('USD' as currency) from source")
    rewrite_parquet(raw / "subscriptions.parquet", "select * replace ('USD' as currency) from source")
    with duckdb.connect() as connection:
        negative_id = connection.execute(
            f"select min(opportunity_id) from read_parquet('{raw / 'opportunities.parquet'}') "
            "where not coalesce(is_deleted, false) and amount > 0").fetchone()[0]
    rewrite_parquet(raw / "opportunities.parquet",
                    f"select * replace (case when opportunity_id = '{negative_id}' then -amount else amount end as amount) "
                    "from source")
    with open(raw / "stages.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["stage_name", "stage_number", "is_closed", "is_won", "forecast_probability"])
        for name, number, closed, won, probability in CUSTOM_STAGES:
            writer.writerow([name, "" if number is None else number, str(closed).lower(), str(won).lower(), probability])
    run = run_build(raw, workdir)
    return {"run": run, "database": workdir / "wh.duckdb", "raw": raw, "negative_id": negative_id}


def test_build_succeeds_without_optional_tables(resilient_build):
    run = resilient_build["run"]
    assert build_ok(run), describe_run(run)


@pytest.mark.parametrize("table", OPTIONAL)
def test_absent_optional_table_gives_an_empty_typed_staging_model(resilient_build, table):
    database = resilient_build["database"]
    assert build_ok(resilient_build["run"]), describe_run(resilient_build["run"])
    name = relation(database, staging_model(table))
    assert query(database, f"select count(*) from {name}") == [(0,)]
    schema, model = name.split(".")
    columns = {column for (column,) in query(
        database, "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
        [schema, model])}
    missing = set(contract.TABLES[table].column_names) - columns
    assert not missing, f"{name} lacks contract columns {missing}"
    assert query(database, "select count(*) from information_schema.tables "
                           "where table_schema = 'raw' and table_name = ?", [table]) == [(0,)]


def test_users_stages_file_replaces_the_seed(resilient_build):
    database = resilient_build["database"]
    assert build_ok(resilient_build["run"]), describe_run(resilient_build["run"])
    rows = query(database, f"select stage_name, stage_number, is_closed, is_won, cast(forecast_probability as double) "
                           f"from {relation(database, 'stg_crm__stages')} order by stage_number nulls last")
    assert [(name, number, closed, won, round(p, 4)) for name, number, closed, won, p in rows] == CUSTOM_STAGES


def test_record_level_anomaly_is_repaired_listed_and_warned(resilient_build):
    run, database, negative_id = resilient_build["run"], resilient_build["database"], resilient_build["negative_id"]
    assert build_ok(run), describe_run(run)
    assert query(database, f"select amount, raw_amount < 0 from {relation(database, 'stg_crm__opportunities')} "
                           "where opportunity_id = ?", [negative_id]) == [(0, True)]
    issues = query(database, f"select table_name, record_key, column_name, rule_applied "
                             f"from {relation(database, 'dq_record_issues')} where record_key = ?", [negative_id])
    assert ("opportunities", negative_id, "amount") in {row[:3] for row in issues}, issues
    assert any(node.resource_type == "test" for node in run.warnings), "a record-level anomaly raises a warning"


def test_targets_off_the_fiscal_calendar_are_named_in_a_warning(generated_raw_dir, tmp_path, monkeypatch):
    """Calendar-quarter targets under a fiscal year from February: none is a fiscal period, so kpi_forecast has
    no row; the build warns naming the targets, and dq_record_issues lists every one."""
    exit_code, output = run_cli_build(generated_raw_dir, tmp_path, monkeypatch,
                                      ("--var", "fiscal_year_start_month=2", "--select", "+kpi_forecast",
                                       "--select", "+dq_record_issues"))
    assert exit_code == 0, output
    database = tmp_path / "wh.duckdb"
    targets = query(database, f"select count(*) from {relation(database, 'stg_crm__targets')}")[0][0]
    listed = query(database, f"select record_key, problem from {relation(database, 'dq_record_issues')} "
                             "where problem_type = 'target_not_fiscal_period' order by record_key")
    custom = query(database, f"select count(*) from {relation(database, 'kpi_org_attainment')} "
                             "where target_period_grain = 'custom'")[0][0]
    assert len(listed) == targets == custom > 0
    assert query(database, f"select count(*) from {relation(database, 'kpi_forecast')}")[0][0] == 0
    flat = unwrapped(output)
    assert f"warn_targets_off_the_fiscal_calendar:Got{targets}results" in flat, output
    named = [key for key, problem in listed if unwrapped(f"targets {key}: {problem}") in flat]
    assert len(named) == 5 and "fiscalyearsstartinmonth2" in flat, output
    assert f"and{targets - 5:,}more" in flat, output


# --------------------------------------------------------------------------- builds that must fail


def test_failing_dataset_exits_non_zero_naming_the_failing_tests(generated_raw_dir, tmp_path, monkeypatch):
    """A duplicated lead_id fails a staging test; an unparseable amount fails a source test and stops its model."""
    raw = copy_raw(generated_raw_dir, tmp_path / "raw")
    rewrite_parquet(raw / "leads.parquet",
                    "select * from source union all "
                    "(select * from source where not coalesce(is_deleted, false) order by lead_id limit 1)")
    parquet_to_csv(raw / "opportunities.parquet",
                   "select * replace (case when opportunity_id = (select min(opportunity_id) from source) "
                   "then 'twelve thousand' else cast(amount as varchar) end as amount) from source")

    exit_code, output = run_cli_build(raw, tmp_path / "build", monkeypatch)

    assert exit_code != 0, output
    flat = unwrapped(output)
    # model_rules names the broken rule and the duplicated key (decision 0015)
    with duckdb.connect() as connection:
        duplicated = connection.execute(f"select min(lead_id) from read_parquet('{generated_raw_dir / 'leads.parquet'}') "
                                        "where not coalesce(is_deleted, false)").fetchone()[0]
    assert "model_rules_stg_crm__leads" in flat, output
    assert "unique_key(lead_id)" in flat and f"e.g.key{duplicated}" in flat, output
    assert "parseable_crm_opportunities" in flat, output
    assert "unparseable_columns=amount(decimal)" in flat and "amount=twelvethousand" in flat, output
    assert "buildfailed" in flat, output


def test_parseable_columns_names_every_column_of_a_row_that_does_not_parse(generated_raw_dir, tmp_path):
    """One parseable_columns test per raw table (decision 0015): on a CSV export, a row with two bad
    values names both columns and their types, another row its one; good rows are not returned."""
    raw = copy_raw(generated_raw_dir, tmp_path / "raw")
    first, last = "(select min(user_id) from source)", "(select max(user_id) from source)"
    parquet_to_csv(raw / "users.parquet",
                   f"select * replace ("
                   f"case when user_id = {first} then 'soon' else cast(hired_on as varchar) end as hired_on, "
                   f"case when user_id = {first} then 'three' else cast(ramp_months as varchar) end as ramp_months, "
                   f"case when user_id = {last} then '12k' else cast(annual_ote as varchar) end as annual_ote) "
                   f"from source")
    with duckdb.connect() as connection:
        ids = connection.execute(f"select min(user_id), max(user_id) from read_csv('{raw / 'users.csv'}')").fetchone()

    run = run_build(raw, tmp_path / "build", select=["parseable_crm_users"])

    failed = {node.name: node for node in run.failures}
    assert set(failed) == {"parseable_crm_users"}, describe_run(run)
    with duckdb.connect(str(tmp_path / "build" / "wh.duckdb")) as connection:
        rows = connection.execute(f"select user_id, unparseable_columns from ({failed['parseable_crm_users'].compiled_code}) t "
                                  "order by user_id").fetchall()
    assert rows == [(ids[0], "hired_on (date) ramp_months (integer)"), (ids[1], "annual_ote (decimal)")]


def test_missing_required_table_or_column_stops_the_build_naming_them(generated_raw_dir, tmp_path, monkeypatch):
    raw = copy_raw(generated_raw_dir, tmp_path / "raw", exclude=["quotas"])
    rewrite_parquet(raw / "leads.parquet", "select * exclude (campaign) from source")

    exit_code, output = run_cli_build(raw, tmp_path / "build", monkeypatch)

    assert exit_code != 0, output
    assert "'quotas' is missing" in output, output
    assert "campaign" in output and "leads" in output, output
