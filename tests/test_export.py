"""Finance export: open what `sales-kpis export` writes and check sheets, headers, stamps and totals.

Uses the session's warehouse (``built_warehouse``). The finance bundle's org
sheet comes from the org attainment mart ``kpi_org_attainment``; where the
warehouse does not have it, a copy of the warehouse gets a stub table with
the spec's columns, so the three-sheet bundle is tested either way. The
About sheet carries every exported column's definition, as the project's
dbt documentation words it.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import copy_warehouse
from sales_kpis.export import (
    FINANCE_BUNDLE,
    ExportError,
    column_label,
    export_finance_bundle,
    export_mart,
)

pytestmark = pytest.mark.slow


def sheet_rows(workbook, title: str) -> tuple[list[str], list[dict]]:
    rows = list(workbook[title].iter_rows(values_only=True))
    header = list(rows[0])
    return header, [dict(zip(header, row)) for row in rows[1:]]


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
    assert column_label("quota_amount", "EUR") == "Quota (EUR)"
    assert column_label("bookings_arr", "USD") == "Bookings (USD)"
    assert column_label("sourced_pipeline_arr", "USD") == "Sourced pipeline ARR (USD)"
    assert column_label("win_rate", "USD") == "Win rate (by count)"
    assert column_label("some_new_count", "USD") == "Some new count"


def test_finance_bundle_sheets_headers_stamps_and_totals(built_warehouse, warehouse_copy, tmp_path):
    out = tmp_path / "attainment.xlsx"
    result = export_finance_bundle(warehouse_copy, out)
    assert result.missing == []
    from openpyxl import load_workbook

    workbook = load_workbook(out)
    assert workbook.sheetnames == ["About", "Rep attainment", "Team attainment", "Org attainment"]

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
    with pytest.raises(ExportError, match="no mart"):
        export_mart(built_warehouse.database, "kpi_nope", "csv", tmp_path / "x.csv")
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
