"""Finance export: open what `sales-kpis export` writes and check sheets, headers, stamps, units and totals.

Uses the session's warehouse (``built_warehouse``). The finance bundle's org
sheet comes from the org attainment mart ``kpi_org_attainment``; where the
warehouse does not have it, a copy of the warehouse gets a stub table with
the spec's columns, so the three-sheet bundle is tested either way. The
About sheet carries every exported column's definition, as the project's
dbt documentation words it, and its unit. Each column's number format
follows the unit its model yml declares; rows are sorted by the mart's key;
the rep and team sheets end with totals rows per period; files are created
without access for others. Hostile text: tests/test_hostile_exports.py.
"""

from __future__ import annotations

import csv
import os
import stat
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import copy_warehouse
from sales_kpis.definitions import UNITS, load, unit_of_type
from sales_kpis.export import (
    FINANCE_BUNDLE,
    ExportError,
    column_label,
    export_finance_bundle,
    export_mart,
)

pytestmark = pytest.mark.slow


def sheet_rows(workbook, title: str) -> tuple[list[str], list[dict]]:
    """The header and the data rows (above the blank row that precedes any totals rows)."""
    header, data, _totals = sheet_parts(workbook, title)
    return header, data


def sheet_parts(workbook, title: str) -> tuple[list[str], list[dict], list[dict]]:
    """The header, the data rows and the totals rows below them."""
    rows = list(workbook[title].iter_rows(values_only=True))
    header = list(rows[0])
    blank = next((index for index, row in enumerate(rows) if not any(value is not None for value in row)), len(rows))
    return (header, [dict(zip(header, row)) for row in rows[1:blank]],
            [dict(zip(header, row)) for row in rows[blank + 1:]])


def about_rows(workbook) -> list[tuple]:
    return [row for row in workbook["About"].iter_rows(values_only=True) if row and row[0]]


def about(workbook) -> dict:
    """The About sheet's first column -> second, above its definitions."""
    rows = about_rows(workbook)
    end = next((index for index, row in enumerate(rows) if row[0] == "Definitions"), len(rows))
    return {row[0]: row[1] for row in rows[:end]}


def about_definitions(workbook) -> dict[tuple[str, str], str]:
    """{(sheet, column header): definition} from the About sheet's definitions table."""
    rows = about_rows(workbook)
    start = next(index for index, row in enumerate(rows) if row[0] == "Definitions")
    assert rows[start + 1][:3] == ("Sheet", "Column", "Definition")
    return {(row[0], row[1]): row[2] for row in rows[start + 2:]}


def money(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


@pytest.fixture(scope="module")
def warehouse_copy(built_warehouse, tmp_path_factory) -> Path:
    """A copy of the session warehouse with kpi_org_attainment (a stub when the mart is absent)."""
    copy = copy_warehouse(built_warehouse.database, tmp_path_factory.mktemp("export") / "wh.duckdb")
    import duckdb

    with duckdb.connect(str(copy)) as connection:
        has_org = connection.execute(
            "select count(*) from information_schema.tables where table_name = 'kpi_org_attainment'").fetchone()[0]
        if not has_org:
            connection.execute("""
                create table main.kpi_org_attainment as
                select * from (values
                    (date '2026-01-01', date '2026-03-31', 'new_business_arr', null, null,
                     cast(100000 as decimal(28, 6)), cast(80000 as decimal(28, 6)), 0.8, 1.0, 0.8, cast(20000 as decimal(28, 6))),
                    (date '2026-04-01', date '2026-06-30', 'new_business_arr', null, null,
                     cast(120000 as decimal(28, 6)), cast(132000.5 as decimal(28, 6)), 1.1000041666, 1.0, 1.1000041666, cast(-12000.5 as decimal(28, 6)))
                ) as stub(period_start, period_end, metric, segment, product_id, target_value, actual_value,
                          attainment, pct_period_elapsed, pace, gap)
            """)
    return copy


def test_labels_are_for_finance():
    assert column_label("quota_amount", "money", "EUR") == "Quota (EUR)"
    assert column_label("bookings_arr", "money", "USD") == "Bookings (USD)"
    assert column_label("sourced_pipeline_arr", "money", "USD") == "Sourced pipeline ARR (USD)"
    assert column_label("win_rate", "rate", "USD") == "Win rate (by count)"
    assert column_label("some_new_count", "count", "USD") == "Some new count"
    # The currency goes with the unit, not with the name: a rate by ARR is no amount.
    assert column_label("win_rate_arr", "rate", "USD") == "Win rate (by ARR)"
    assert column_label("sourced_pipeline_arr", "rate", "USD") == "Sourced pipeline ARR"


def test_every_mart_column_has_a_unit_from_its_yml():
    """Each kpi_ column's unit is its meta unit or the one its declared type settles; a type that
    settles none (a double, a decimal other than the money type) must declare one."""
    definitions = load()
    undeclared, unknown = [], []
    for mart, model in sorted(definitions.models.items()):
        if not mart.startswith("kpi_"):
            continue
        for column in model.columns.values():
            if column.unit not in UNITS:
                unknown.append(f"{mart}.{column.name}: {column.unit!r}")
            if unit_of_type(column.data_type) is None and "unit" not in column.meta:
                undeclared.append(f"{mart}.{column.name} ({column.data_type})")
            if column.unit == "by_metric" and "metric" not in model.columns:
                unknown.append(f"{mart}.{column.name}: by_metric in a mart without a metric column")
    assert not undeclared and not unknown, "\n".join(undeclared + unknown)
    # A target's metric is a KPI the marts publish: its unit is that column's.
    assert definitions.metric_unit("new_business_arr") == "money"
    assert definitions.metric_unit("sqls") == "count"
    assert definitions.metric_unit("widgets_sold") is None


def number_formats(path: Path, title: str, columns: list[str]) -> dict[str, str]:
    """{mart column: number format of its first non-empty data cell} of an export made with column names."""
    from openpyxl import load_workbook

    sheet = load_workbook(path)[title]
    header = [cell.value for cell in sheet[1]]
    formats = {}
    for column in columns:
        index = header.index(column) + 1
        cell = next((sheet.cell(row=row, column=index) for row in range(2, sheet.max_row + 1)
                     if sheet.cell(row=row, column=index).value is not None), sheet.cell(row=2, column=index))
        formats[column] = cell.number_format
    return formats


def test_number_formats_follow_the_declared_unit(built_warehouse, tmp_path):
    """A rate is a percentage with one decimal, money two decimals with thousands, a count an
    integer, an average of days one decimal, a year plain, a date a date, text text - whatever the
    column's name says (a win rate by ARR ends in _arr; ARPA and ARR at period end have no suffix)."""
    out = export_mart(built_warehouse.database, "kpi_new_business", "xlsx", tmp_path / "nb.xlsx", column_names=True).path
    assert number_formats(out, "New business", [
        "win_rate", "win_rate_arr", "won_arr", "arpa", "arr_at_period_end", "avg_deal_size", "won_opportunities",
        "avg_sales_cycle_days", "total_sales_cycle_days", "period_start", "segment",
    ]) == {
        "win_rate": "0.0%", "win_rate_arr": "0.0%", "won_arr": "#,##0.00", "arpa": "#,##0.00",
        "arr_at_period_end": "#,##0.00", "avg_deal_size": "#,##0.00", "won_opportunities": "#,##0",
        "avg_sales_cycle_days": "#,##0.0", "total_sales_cycle_days": "#,##0", "period_start": "yyyy-mm-dd",
        "segment": "@",
    }
    out = export_mart(built_warehouse.database, "kpi_sdr_roi", "xlsx", tmp_path / "sdr.xlsx", column_names=True).path
    assert number_formats(out, "Sdr roi", ["cumulative_roi", "won_arr", "months_since_hire"]) == {
        "cumulative_roi": '0.00"×"', "won_arr": "#,##0.00", "months_since_hire": "#,##0"}
    out = export_mart(built_warehouse.database, "kpi_rep_attainment", "xlsx", tmp_path / "reps.xlsx",
                      column_names=True).path
    assert number_formats(out, "Rep attainment", ["fiscal_year", "months_in_period", "attainment"]) == {
        "fiscal_year": "0", "months_in_period": "#,##0.0", "attainment": "0.0%"}


def test_org_targets_carry_the_unit_of_their_metric(warehouse_copy, tmp_path):
    """The org sheet mixes amounts and counts in Target / Actual / Gap: a Unit column says which, and
    each row's cells are formatted by it."""
    from openpyxl import load_workbook

    export_finance_bundle(warehouse_copy, tmp_path / "bundle.xlsx")
    sheet = load_workbook(tmp_path / "bundle.xlsx")["Org attainment"]
    header = [cell.value for cell in sheet[1]]
    assert header[header.index("Metric") + 1] == "Unit"
    seen = {}
    for row in sheet.iter_rows(min_row=2):
        cells = dict(zip(header, row))
        if cells["Metric"].value is None:
            continue
        unit = cells["Unit"].value
        formats = {cells[name].number_format for name in ("Target", "Actual", "Gap to target")}
        seen.setdefault(unit, set()).update(formats)
        assert cells["Attainment"].number_format == "0.0%"
    assert seen.get("USD") == {"#,##0.00"}, seen
    if "count" in seen:  # the generated targets include SQLs and stage-1 opportunities
        assert seen["count"] == {"#,##0"}, seen


def test_rows_are_sorted_by_the_marts_key(built_warehouse, warehouse_copy, tmp_path):
    from openpyxl import load_workbook

    export_finance_bundle(warehouse_copy, tmp_path / "bundle.xlsx", column_names=True)
    workbook = load_workbook(tmp_path / "bundle.xlsx")
    _, reps = sheet_rows(workbook, "Rep attainment")
    keys = [(row["user_id"], row["period_start"]) for row in reps]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    _, org = sheet_rows(workbook, "Org attainment")
    assert [row["target_id"] for row in org] == sorted(row["target_id"] for row in org)
    _, teams = sheet_rows(workbook, "Team attainment")
    keys = [(row["rollup_type"], row["rollup_key"], row["source_relation"], row["period_start"]) for row in teams]
    assert keys == sorted(keys)


def test_totals_rows_sum_quota_and_bookings_per_period(built_warehouse, warehouse_copy, tmp_path):
    """Below the rep sheet's data: a row per quota period with quota, bookings and deals summed and
    attainment re-computed; the team sheet's totals (team roll-up only) agree with them; they are
    marked (label, bold) and outside the filter range."""
    from openpyxl import load_workbook

    result = export_finance_bundle(warehouse_copy, tmp_path / "bundle.xlsx")
    workbook = load_workbook(tmp_path / "bundle.xlsx")
    header, reps, totals = sheet_parts(workbook, "Rep attainment")
    expected = built_warehouse.query(f"""
        select period_start, sum(quota_amount), sum(bookings_arr), sum(won_opportunities)
        from {built_warehouse.relation('kpi_rep_attainment')} group by period_start order by period_start""")
    assert [row["Rep ID"] for row in totals] == ["Total, all reps"] * len(expected)
    assert result.sheets[0].totals == len(expected)
    for total, (start, quota, bookings, won) in zip(totals, expected):
        assert total["Period start"].date() == start
        assert money(total["Quota (USD)"]) == quota and money(total["Bookings (USD)"]) == bookings
        assert total["Won deals"] == won
        assert total["Attainment"] == pytest.approx(float(bookings / quota)) if quota else total["Attainment"] is None
        assert total["Name"] is None and total["Ramp (months)"] is None, "no rep's own figure in a total"
    sheet = workbook["Rep attainment"]
    assert sheet.auto_filter.ref.endswith(str(len(reps) + 1)), "filters cover the data rows only"
    first_total = len(reps) + 3
    assert sheet.cell(row=first_total, column=1).value == "Total, all reps"
    assert sheet.cell(row=first_total, column=1).font.bold
    _, _, team_totals = sheet_parts(workbook, "Team attainment")
    assert [(row["Period start"], row["Reps"], money(row["Quota (USD)"])) for row in team_totals] == \
        [(row["Period start"], len([rep for rep in reps if rep["Period start"] == row["Period start"]]),
          money(row["Quota (USD)"])) for row in totals]
    _, _, org_totals = sheet_parts(workbook, "Org attainment")
    assert org_totals == [], "targets of different metrics and overlapping periods do not add up"
    formulas = [cell.coordinate for sheet in workbook for row in sheet.iter_rows() for cell in row
                if cell.data_type == "f"]
    assert not formulas


def test_exports_are_created_without_access_for_others(built_warehouse, tmp_path):
    """A new export gets the umask's permissions minus any for others; a replaced one keeps its mode."""
    previous = os.umask(0o022)
    try:
        csv_path = export_mart(built_warehouse.database, "kpi_rep_attainment", "csv", tmp_path / "reps.csv").path
        xlsx_path = export_finance_bundle(built_warehouse.database, tmp_path / "bundle.xlsx").path
        assert stat.S_IMODE(csv_path.stat().st_mode) == 0o640
        assert stat.S_IMODE(xlsx_path.stat().st_mode) == 0o640
        os.umask(0o077)
        parquet = export_mart(built_warehouse.database, "kpi_rep_attainment", "parquet", tmp_path / "reps.parquet").path
        assert stat.S_IMODE(parquet.stat().st_mode) == 0o600
        os.umask(0o000)
        open_umask = export_mart(built_warehouse.database, "kpi_rep_attainment", "csv", tmp_path / "open.csv").path
        assert stat.S_IMODE(open_umask.stat().st_mode) == 0o660, "never for others, whatever the umask"
        csv_path.chmod(0o644)  # shared on purpose: the next export keeps it so
        export_mart(built_warehouse.database, "kpi_rep_attainment", "csv", csv_path)
        assert stat.S_IMODE(csv_path.stat().st_mode) == 0o644
    finally:
        os.umask(previous)
    assert not [path.name for path in tmp_path.iterdir() if path.name.startswith(".")], "no scratch file left"


def test_finance_bundle_sheets_headers_stamps_and_totals(built_warehouse, warehouse_copy, tmp_path):
    out = tmp_path / "attainment.xlsx"
    result = export_finance_bundle(warehouse_copy, out)
    assert result.missing == []
    from openpyxl import load_workbook

    workbook = load_workbook(out)
    assert workbook.sheetnames == ["About", "Rep attainment", "Team attainment", "Org attainment",
                                   "Commit and best case", "Pipeline coverage"]

    as_of = built_warehouse.scalar(f"select as_of_date from {built_warehouse.relation('build_metadata')}")
    stamp = about(workbook)
    assert stamp["As-of date"].date() == as_of
    assert stamp["Reporting currency"] == "USD"
    assert "Not included (not built in this warehouse)" not in stamp

    # Rep sheet: finance headers, a row per quota row, totals to the cent.
    header, reps = sheet_rows(workbook, "Rep attainment")
    for label in ["Rep ID", "Period start", "Period end", "Quota (USD)", "Bookings (USD)", "Attainment",
                  "At quota", "Ramping", "OTE for the period (USD)", "Win rate (by count)", "As-of date",
                  "Reporting currency"]:
        assert label in header, label
    assert not [name for name in header if "_" in name], "no snake_case header"
    rep_mart = built_warehouse.relation("kpi_rep_attainment")
    count, quota, bookings, at_quota = built_warehouse.query(
        f"select count(*), sum(quota_amount), sum(bookings_arr), sum(case when is_at_quota then 1 else 0 end) from {rep_mart}")[0]
    assert len(reps) == count
    assert sum(money(row["Quota (USD)"]) for row in reps) == quota
    assert sum(money(row["Bookings (USD)"]) for row in reps) == bookings
    assert sum(1 for row in reps if row["At quota"]) == at_quota
    assert {row["As-of date"].date() for row in reps} == {as_of}
    assert {row["Reporting currency"] for row in reps} == {"USD"}
    assert workbook["Rep attainment"].freeze_panes == "A2"
    quota_column = header.index("Bookings (USD)") + 1
    assert workbook["Rep attainment"].cell(row=2, column=quota_column).number_format == "#,##0.00"
    assert workbook["Rep attainment"].cell(row=2, column=header.index("Attainment") + 1).number_format == "0.0%"

    # Team sheet: the team rows add up to the reps, per sheet and per roll-up.
    header, teams = sheet_rows(workbook, "Team attainment")
    assert {"Roll-up", "Reps", "Ramped reps", "Reps at quota", "Ramped reps at quota (share)", "Quota (USD)",
            "Bookings (USD)", "Attainment"} <= set(header)
    team_rows = [row for row in teams if row["Roll-up"] == "team"]
    assert sum(row["Reps"] for row in team_rows) == count
    assert sum(money(row["Bookings (USD)"]) for row in team_rows) == bookings
    assert {row["Roll-up"] for row in teams} == {"team", "manager_direct", "manager_tree"}

    # Org sheet: as in the warehouse.
    header, org = sheet_rows(workbook, "Org attainment")
    assert {"Target", "Actual", "Attainment", "Gap to target", "As-of date"} <= set(header)
    import duckdb

    with duckdb.connect(str(warehouse_copy), read_only=True) as connection:
        org_count, org_target = connection.execute("select count(*), sum(target_value) from kpi_org_attainment").fetchone()
    assert len(org) == org_count
    assert abs(sum(Decimal(str(row["Target"])) for row in org) - Decimal(org_target)) < Decimal("0.000001")


def test_finance_bundle_has_commit_and_coverage_as_in_the_warehouse(warehouse_copy, tmp_path):
    """The forward view's sheets: one row per period and level, amounts to the cent, coverage a multiple and
    commit attainment a percentage, the company's figures as the mart has them."""
    import duckdb
    from openpyxl import load_workbook

    export_finance_bundle(warehouse_copy, tmp_path / "bundle.xlsx")
    workbook = load_workbook(tmp_path / "bundle.xlsx")
    with duckdb.connect(str(warehouse_copy), read_only=True) as connection:
        coverage = {row[0]: row[1:] for row in connection.execute(
            "select period_name, open_pipeline_arr, remaining_target, coverage, prior_coverage "
            "from kpi_pipeline_coverage where level = 'company'").fetchall()}
        commit = {row[0]: row[1:] for row in connection.execute(
            "select period_name, commit_forecast_arr, quota_or_target, commit_attainment "
            "from kpi_forecast_categories where level = 'company'").fetchall()}
        counts = [connection.execute(f"select count(*) from {mart}").fetchone()[0]
                  for mart in ("kpi_forecast_categories", "kpi_pipeline_coverage")]
    header, rows = sheet_rows(workbook, "Pipeline coverage")
    assert len(rows) == counts[1]
    for label in ("Period", "Level", "Open pipeline (USD)", "Remaining target (USD)", "Coverage",
                  "Previous period: coverage"):
        assert label in header, label
    company = {row["Period"]: row for row in rows if row["Level"] == "company"}
    assert set(company) == set(coverage) == {"this_quarter", "next_quarter", "this_year"}
    for period, (pipeline, remaining, ratio, prior) in coverage.items():
        got = company[period]
        assert money(got["Open pipeline (USD)"]) == pipeline and money(got["Remaining target (USD)"]) == remaining
        assert got["Coverage"] == pytest.approx(ratio) and got["Previous period: coverage"] == pytest.approx(prior)
    sheet = workbook["Pipeline coverage"]
    assert sheet.cell(row=2, column=header.index("Coverage") + 1).number_format == '0.00"×"'
    header, rows = sheet_rows(workbook, "Commit and best case")
    assert len(rows) == counts[0]
    company = {row["Period"]: row for row in rows if row["Level"] == "company"}
    for period, (forecast, target, attainment) in commit.items():
        got = company[period]
        assert money(got["Closed won + commit (USD)"]) == forecast and money(got["Quota or target (USD)"]) == target
        assert got["Commit attainment"] == pytest.approx(attainment)
    assert workbook["Commit and best case"].cell(row=2, column=header.index("Commit attainment") + 1).number_format \
        == "0.0%"


def test_the_about_sheet_defines_every_exported_column(warehouse_copy, tmp_path):
    from openpyxl import load_workbook

    from sales_kpis.definitions import load, plain

    result = export_finance_bundle(warehouse_copy, tmp_path / "attainment.xlsx")
    workbook = load_workbook(tmp_path / "attainment.xlsx")
    definitions = about_definitions(workbook)
    expected = {(sheet.title, label) for sheet in result.sheets for label in sheet.labels}
    assert set(definitions) == expected
    assert not [key for key, text in definitions.items() if not text], "every column has a definition"
    project = load()
    assert definitions[("Rep attainment", "Attainment")] == plain(project.column("kpi_rep_attainment", "attainment").description)
    assert definitions[("Org attainment", "Attainment")] == plain(project.column("kpi_org_attainment", "attainment").description)
    assert definitions[("Team attainment", "As-of date")] == plain(project.column("build_metadata", "as_of_date").description)
    assert "{{" not in " ".join(definitions.values()), "doc() calls are resolved"
    assert not [row for row in about_rows(workbook) if "docs/kpis" in str(row[0])], "no repository path stands in for a definition"


def test_finance_bundle_names_the_marts_it_could_not_include(built_warehouse, tmp_path):
    present = {name for name, _ in FINANCE_BUNDLE if name in {n for n in [
        row[0] for row in built_warehouse.query("select table_name from information_schema.tables")]}}
    expected_missing = [name for name, _ in FINANCE_BUNDLE if name not in present]
    result = export_finance_bundle(built_warehouse.database, tmp_path / "bundle.xlsx")
    assert result.missing == expected_missing
    from openpyxl import load_workbook

    workbook = load_workbook(tmp_path / "bundle.xlsx")
    assert len(workbook.sheetnames) == 1 + len(present)
    if expected_missing:
        assert about(workbook)["Not included (not built in this warehouse)"] == ", ".join(expected_missing)


def test_csv_and_parquet_are_stamped_and_exact(built_warehouse, tmp_path):
    as_of = built_warehouse.scalar(f"select as_of_date from {built_warehouse.relation('build_metadata')}")
    bookings = built_warehouse.scalar(f"select sum(bookings_arr) from {built_warehouse.relation('kpi_rep_attainment')}")

    csv_path = export_mart(built_warehouse.database, "kpi_rep_attainment", None, tmp_path / "reps.csv").path
    with open(csv_path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {row["As-of date"] for row in rows} == {as_of.isoformat()}
    assert {row["Reporting currency"] for row in rows} == {"USD"}
    assert sum(Decimal(row["Bookings (USD)"]) for row in rows) == bookings  # exact decimals, not floats

    import pyarrow.parquet as pq

    parquet_path = export_mart(built_warehouse.database, "kpi_team_attainment", "parquet", tmp_path / "teams.parquet").path
    table = pq.read_table(parquet_path)
    import json

    stamp = json.loads(table.schema.metadata[b"sales_kpis"])
    assert stamp["as_of_date"] == as_of.isoformat() and stamp["reporting_currency"] == "USD"
    assert stamp["columns"]["Bookings (USD)"] == "total_bookings_arr"
    assert str(table.schema.field("Bookings (USD)").type) == "decimal128(18, 2)"

    raw = export_mart(built_warehouse.database, "kpi_sdr_roi", "csv", tmp_path / "sdr.csv", column_names=True).path
    with open(raw, newline="") as handle:
        header = next(csv.reader(handle))
    assert header[:2] == ["user_id", "month_start"] and header[-2:] == ["as_of_date", "reporting_currency"]


def test_export_errors_and_cli(built_warehouse, tmp_path):
    with pytest.raises(ExportError, match="no mart 'kpi_nope' in the warehouse; the marts are: .*kpi_rep_attainment"):
        export_mart(built_warehouse.database, "kpi_nope", "csv", tmp_path / "x.csv")
    with pytest.raises(ExportError, match="did you mean kpi_rep_attainment"):
        export_mart(built_warehouse.database, "kpi_rep_attainmnt", "csv", tmp_path / "x.csv")
    with pytest.raises(ExportError, match="published kpi_ marts only"):  # dim_users holds e-mail addresses
        export_mart(built_warehouse.database, "dim_users", "csv", tmp_path / "x.csv")
    assert not (tmp_path / "x.csv").exists()
    with pytest.raises(ExportError, match="unknown format"):
        export_mart(built_warehouse.database, "kpi_rep_attainment", "json", tmp_path / "x.json")

    from sales_kpis.cli import main

    runner = CliRunner()
    ok = runner.invoke(main, ["export", "--mart", "kpi_rep_attainment", "--format", "xlsx",
                              "--out", str(tmp_path / "reps.xlsx"), "--database", str(built_warehouse.database)])
    assert ok.exit_code == 0, ok.output
    assert "as of" in ok.output
    from openpyxl import load_workbook

    assert load_workbook(tmp_path / "reps.xlsx").sheetnames == ["About", "Rep attainment"]
    neither = runner.invoke(main, ["export", "--out", str(tmp_path / "x.csv")])
    assert neither.exit_code == 2
    unknown = runner.invoke(main, ["export", "--mart", "kpi_nope", "--out", str(tmp_path / "x.csv"),
                                   "--database", str(built_warehouse.database)])
    assert unknown.exit_code == 1 and "no mart" in unknown.output
    assert "kpi_team_attainment" in " ".join(unknown.output.split()), "the marts are listed"
