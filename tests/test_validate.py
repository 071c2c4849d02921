"""Tests for sales_kpis.validate: a clean fixture passes, each problem class is caught by table and key."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pandas as pd
import pytest

os.environ.setdefault("DO_NOT_TRACK", "1")

from sales_kpis import contract  # noqa: E402
from sales_kpis.validate import ERROR, WARNING, Problem, ValidationReport, validate  # noqa: E402

FORMATS = ["parquet", "csv"]

# --------------------------------------------------------------------------- fixture


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def clean_tables() -> dict[str, pd.DataFrame]:
    """A small, contract-complete, internally consistent dataset (a few rows per table)."""
    users = pd.DataFrame({
        "user_id": ["U1", "U2", "U3"],
        "full_name": ["Ada Manager", "Bo Closer", "Cy Prospector"],
        "email": ["ada@example.com", "bo@example.com", "cy@example.com"],
        "role": ["manager", "AE", "sdr"],  # role is case-insensitive
        "team": ["Sales Leadership", "Enterprise AE", "Outbound SDR"],
        "segment": [None, "Enterprise", "Enterprise"],
        "region": ["EMEA", "EMEA", None],
        "manager_id": [None, "U1", "U1"],
        "hired_on": [d("2022-01-10"), d("2023-02-01"), d("2023-06-15")],
        "left_on": [None, None, d("2024-12-31")],
        "annual_ote": [250000.0, 180000.0, None],
        "ramp_months": pd.array([None, 3, 2], dtype="Int64"),
    })
    accounts = pd.DataFrame({
        "account_id": ["A1", "A2"],
        "account_name": ["Acme", "Globex"],
        "industry": ["Manufacturing", None],
        "segment": ["Enterprise", "Mid-Market"],
        "region": ["EMEA", "NA"],
        "owner_id": ["U2", None],
        "created_at": [ts("2023-12-01 09:00:00"), ts("2024-01-15 12:30:00")],
    })
    leads = pd.DataFrame({
        "lead_id": ["L1", "L2", "L3"],
        "created_at": [ts("2024-01-02 08:00:00"), ts("2024-01-10 08:00:00"), ts("2024-01-11 08:00:00")],
        "lead_source": ["inbound", "outbound", None],
        "campaign": ["webinar", None, None],
        "owner_id": ["U3", "U3", None],
        "mql_at": [ts("2024-01-02 09:00:00"), ts("2024-01-11 08:00:00"), pd.NaT],
        "sql_at": [ts("2024-01-03 09:00:00"), pd.NaT, pd.NaT],
        "disqualified_at": [pd.NaT, pd.NaT, ts("2024-01-12 08:00:00")],
        "converted_at": [ts("2024-01-04 09:00:00"), pd.NaT, pd.NaT],
        "converted_account_id": ["A1", None, None],
        "converted_opportunity_id": ["O1", None, None],
        "is_deleted": pd.array([False, False, None], dtype="boolean"),
    })
    opportunities = pd.DataFrame({
        "opportunity_id": ["O1", "O2", "O3"],
        "account_id": ["A1", "A2", "A1"],
        "owner_id": ["U2", "U2", "U2"],
        "sourced_by_id": ["U3", None, None],
        "lead_id": ["L1", None, None],
        "product_id": ["P1", "P1", None],
        "opportunity_type": ["new_business", "new_business", "expansion"],
        "stage_name": ["Closed Won", "Discovery", "Closed Lost"],
        "amount": [12000.0, 8000.0, None],
        "currency": ["USD", "eur", None],  # compared upper-cased; null = reporting currency
        "created_at": [ts("2024-01-04 10:00:00"), ts("2024-01-20 10:00:00"), ts("2024-02-01 10:00:00")],
        "close_date": [d("2024-02-28"), d("2024-06-30"), d("2024-03-15")],
        "updated_at": [ts("2024-02-28 17:00:00"), pd.NaT, ts("2024-03-15 17:00:00")],
        "is_deleted": pd.array([False, False, False], dtype="boolean"),
    })
    history = pd.DataFrame({
        "opportunity_id": ["O1", "O1", "O1", "O2", "O3", "O3"],
        "stage_name": ["Discovery", "Proposal", "Closed Won", "Discovery", "Discovery", "Closed Lost"],
        "entered_at": [ts("2024-01-04 10:00:00"), ts("2024-02-01 10:00:00"), ts("2024-02-28 17:00:00"),
                       ts("2024-01-20 10:00:00"), ts("2024-02-01 10:00:00"), ts("2024-03-15 17:00:00")],
        "amount": [10000.0, 12000.0, 12000.0, 8000.0, None, None],
    })
    subscriptions = pd.DataFrame({
        "subscription_id": ["S1", "S2"],
        "account_id": ["A1", "A2"],
        "product_id": ["P1", None],
        "starts_on": [d("2024-03-01"), d("2024-04-01")],
        "ends_on": [None, d("2025-04-01")],
        "arr": [12000.0, 5000.0],
        "currency": [None, "EUR"],
    })
    quotas = pd.DataFrame({
        "user_id": ["U2", "U2"],
        "period_start": [d("2024-01-01"), d("2024-04-01")],
        "period_end": [d("2024-03-31"), d("2024-06-30")],
        "quota_amount": [50000.0, 60000.0],
    })
    targets = pd.DataFrame({
        "period_start": [d("2024-01-01"), d("2024-01-01"), d("2024-01-01")],
        "period_end": [d("2024-03-31"), d("2024-03-31"), d("2024-03-31")],
        "metric": ["new_business_arr", "new_business_arr", "sqls"],
        "segment": [None, "Enterprise", None],
        "product_id": [None, None, "P1"],
        "target_value": [100000.0, 60000.0, 30.0],
    })
    products = pd.DataFrame({
        "product_id": ["P1"],
        "product_name": ["Platform"],
        "product_family": ["Core"],
        "launched_on": [d("2020-01-01")],
    })
    exchange_rates = pd.DataFrame({
        "currency": ["EUR", "EUR"],
        "rate_date": [d("2024-01-01"), d("2024-04-01")],
        "rate_to_reporting": [1.09, 1.08],
    })
    activities = pd.DataFrame({
        "activity_id": ["AC1", "AC2"],
        "user_id": ["U3", "U2"],
        "lead_id": ["L1", None],
        "opportunity_id": [None, "O1"],
        "activity_type": ["call", "meeting"],
        "occurred_at": [ts("2024-01-02 10:00:00"), ts("2024-01-05 15:00:00")],
    })
    tables = {
        "users": users, "accounts": accounts, "leads": leads, "opportunities": opportunities,
        "opportunity_stage_history": history, "subscriptions": subscriptions, "quotas": quotas,
        "targets": targets, "products": products, "exchange_rates": exchange_rates,
        "activities": activities,
    }
    for name, df in tables.items():  # keep the fixture honest against the contract
        assert list(df.columns) == contract.TABLES[name].column_names, name
    return tables


def write(tables: dict[str, pd.DataFrame], out: Path, fmt: str = "parquet") -> Path:
    out.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        if fmt == "parquet":
            df.to_parquet(out / f"{name}.parquet", index=False)
        else:
            df.to_csv(out / f"{name}.csv", index=False)
    return out


def set_value(df: pd.DataFrame, row: int, column: str, value) -> None:
    """Set one cell; a string into a typed column turns the column into text (as a dirty export would)."""
    if isinstance(value, str) and not pd.api.types.is_string_dtype(df[column]):
        df[column] = [None if pd.isna(v) else str(v) for v in df[column]]
    df.loc[row, column] = value


def find(report: ValidationReport, problem: str, table: str) -> list[Problem]:
    return [p for p in report.problems if p.problem == problem and p.table == table]


def assert_reported(report: ValidationReport, problem: str, table: str, key: str | None,
                    column: str | None, severity: str = ERROR) -> Problem:
    hits = [p for p in find(report, problem, table) if p.key == key and p.column == column]
    assert hits, (f"{problem} on {table} key={key!r} column={column!r} not reported; got:\n"
                  + "\n".join(map(str, report.problems)))
    assert hits[0].severity == severity
    assert hits[0].detail
    return hits[0]


@pytest.fixture
def tables() -> dict[str, pd.DataFrame]:
    return clean_tables()


# --------------------------------------------------------------------------- clean data


@pytest.mark.parametrize("fmt", FORMATS)
def test_clean_dataset_has_no_problems(tables, tmp_path, fmt):
    report = validate(write(tables, tmp_path, fmt))
    assert report.problems == [], report.summary()
    assert report.ok and report.errors == []
    assert report.tables == {name: len(df) for name, df in tables.items()}
    assert any("stages" in note and "default" in note for note in report.notes)
    assert report.summary().startswith("OK")


# --------------------------------------------------------------------------- one test per problem class


def _drop_table(t, name):
    del t[name]


CORRUPTIONS = {
    # id: (mutation, (problem, table, key, column))
    "missing_required_table": (
        lambda t: _drop_table(t, "quotas"),
        ("missing_table", "quotas", None, None)),
    "missing_column": (
        lambda t: t.__setitem__("leads", t["leads"].drop(columns=["lead_source"])),
        ("missing_column", "leads", None, "lead_source")),
    "duplicate_pk": (
        lambda t: t.__setitem__("accounts", pd.concat([t["accounts"], t["accounts"].iloc[[0]]],
                                                      ignore_index=True)),
        ("duplicate_key", "accounts", "account_id=A1", "account_id")),
    "duplicate_composite_pk": (
        lambda t: t.__setitem__("opportunity_stage_history", pd.concat(
            [t["opportunity_stage_history"], t["opportunity_stage_history"].iloc[[1]]], ignore_index=True)),
        ("duplicate_key", "opportunity_stage_history",
         "opportunity_id=O1, stage_name=Proposal, entered_at=2024-02-01 10:00:00",
         "opportunity_id, stage_name, entered_at")),
    "null_pk": (
        lambda t: set_value(t["leads"], 1, "lead_id", None),
        ("null_key", "leads", "row=2", "lead_id")),
    "unparseable_date": (
        lambda t: set_value(t["opportunities"], 1, "close_date", "end of Q2"),
        ("unparseable_value", "opportunities", "opportunity_id=O2", "close_date")),
    "unparseable_timestamp": (
        lambda t: set_value(t["leads"], 2, "created_at", "2024-13-45 10:00:00"),
        ("unparseable_value", "leads", "lead_id=L3", "created_at")),
    "unparseable_decimal": (
        lambda t: set_value(t["opportunities"], 0, "amount", "12,000"),
        ("unparseable_value", "opportunities", "opportunity_id=O1", "amount")),
    "unparseable_integer": (
        lambda t: set_value(t["users"], 1, "ramp_months", "3.5"),
        ("unparseable_value", "users", "user_id=U2", "ramp_months")),
    "unparseable_boolean": (
        lambda t: set_value(t["leads"], 0, "is_deleted", "perhaps"),
        ("unparseable_value", "leads", "lead_id=L1", "is_deleted")),
    "null_required": (
        lambda t: set_value(t["opportunities"], 2, "owner_id", None),
        ("null_required", "opportunities", "opportunity_id=O3", "owner_id")),
    "unknown_stage": (
        lambda t: set_value(t["opportunities"], 1, "stage_name", "Demo Booked"),
        ("unknown_stage", "opportunities", "opportunity_id=O2", "stage_name")),
    "unknown_stage_in_history": (
        lambda t: set_value(t["opportunity_stage_history"], 3, "stage_name", "Demo Booked"),
        ("unknown_stage", "opportunity_stage_history",
         "opportunity_id=O2, stage_name=Demo Booked, entered_at=2024-01-20 10:00:00", "stage_name")),
    "unknown_role": (
        lambda t: set_value(t["users"], 2, "role", "bdr"),
        ("unknown_role", "users", "user_id=U3", "role")),
    "unknown_opportunity_type": (
        lambda t: set_value(t["opportunities"], 2, "opportunity_type", "upsell"),
        ("unknown_opportunity_type", "opportunities", "opportunity_id=O3", "opportunity_type")),
    "orphaned_fk": (
        lambda t: set_value(t["opportunities"], 0, "account_id", "A9"),
        ("orphaned_foreign_key", "opportunities", "opportunity_id=O1", "account_id")),
    "orphaned_self_fk": (
        lambda t: set_value(t["users"], 1, "manager_id", "U404"),
        ("orphaned_foreign_key", "users", "user_id=U2", "manager_id")),
    "negative_amount": (
        lambda t: set_value(t["subscriptions"], 0, "arr", -12000.0),
        ("negative_amount", "subscriptions", "subscription_id=S1", "arr")),
    "amount_beyond_the_money_type": (  # 1e20 parses as a decimal; the build's money type cannot hold it
        lambda t: set_value(t["opportunities"], 1, "amount", 1e20),
        ("amount_out_of_range", "opportunities", "opportunity_id=O2", "amount")),
    "arr_beyond_the_money_type": (
        lambda t: set_value(t["subscriptions"], 0, "arr", -2e12),
        ("amount_out_of_range", "subscriptions", "subscription_id=S1", "arr")),
    "zero_exchange_rate": (
        lambda t: set_value(t["exchange_rates"], 1, "rate_to_reporting", 0.0),
        ("negative_amount", "exchange_rates", "currency=EUR, rate_date=2024-04-01", "rate_to_reporting")),
    "close_before_creation": (
        lambda t: set_value(t["opportunities"], 0, "close_date", d("2023-12-31")),
        ("close_before_creation", "opportunities", "opportunity_id=O1", "close_date")),
    "subscription_ends_before_start": (
        lambda t: set_value(t["subscriptions"], 1, "ends_on", d("2024-01-01")),
        ("end_before_start", "subscriptions", "subscription_id=S2", "ends_on")),
    "currency_without_rate": (
        lambda t: set_value(t["opportunities"], 1, "currency", "GBP"),
        ("missing_exchange_rate", "opportunities", "opportunity_id=O2", "currency")),
    "currency_rate_too_late": (  # EUR rates start 2024-01-01; a subscription in Dec 2023 has none
        lambda t: set_value(t["subscriptions"], 1, "starts_on", d("2023-12-01")),
        ("missing_exchange_rate", "subscriptions", "subscription_id=S2", "currency")),
    "currency_without_exchange_rates_table": (
        lambda t: _drop_table(t, "exchange_rates"),
        ("missing_exchange_rate", "opportunities", "opportunity_id=O2", "currency")),
    "history_for_unknown_opportunity": (
        lambda t: t.__setitem__("opportunity_stage_history", pd.concat([
            t["opportunity_stage_history"],
            pd.DataFrame({"opportunity_id": ["O9"], "stage_name": ["Discovery"],
                          "entered_at": [ts("2024-02-01 10:00:00")], "amount": [1.0]}),
        ], ignore_index=True)),
        ("unknown_opportunity", "opportunity_stage_history",
         "opportunity_id=O9, stage_name=Discovery, entered_at=2024-02-01 10:00:00", "opportunity_id")),
}


# Every case runs on Parquet; those where reading text differs from reading typed columns also on CSV.
CSV_CASES = {
    "missing_column", "duplicate_pk", "duplicate_composite_pk", "null_pk", "unparseable_date",
    "unparseable_timestamp", "unparseable_decimal", "unparseable_integer", "unparseable_boolean",
    "null_required", "unknown_stage_in_history", "orphaned_fk", "currency_without_rate",
    "history_for_unknown_opportunity", "amount_beyond_the_money_type",
}


@pytest.mark.parametrize(("case", "fmt"), [(case, "parquet") for case in CORRUPTIONS]
                         + [(case, "csv") for case in CORRUPTIONS if case in CSV_CASES])
def test_problem_is_reported(tables, tmp_path, case, fmt):
    mutate, (problem, table, key, column) = CORRUPTIONS[case]
    mutate(tables)
    report = validate(write(tables, tmp_path, fmt))
    assert_reported(report, problem, table, key, column)
    assert not report.ok
    assert report.totals[(table, problem, ERROR)] >= 1
    assert table in report.summary() and problem in report.summary()


def test_ambiguous_parquet_and_csv(tables, tmp_path):
    write(tables, tmp_path, "parquet")
    tables["leads"].to_csv(tmp_path / "leads.csv", index=False)
    report = validate(tmp_path)
    assert_reported(report, "ambiguous_file", "leads", None, None)
    assert "leads" not in report.tables
    assert not find(report, "missing_table", "leads")  # reported once, as ambiguous
    assert not report.ok


def test_unreadable_file(tables, tmp_path):
    write(tables, tmp_path)
    (tmp_path / "accounts.parquet").write_bytes(b"this is not parquet")
    report = validate(tmp_path)
    assert_reported(report, "unreadable_file", "accounts", None, None)
    assert not report.ok


def test_an_empty_file_is_reported_as_empty(tables, tmp_path, fmt="csv"):
    write(tables, tmp_path, fmt)
    (tmp_path / "accounts.csv").write_bytes(b"")
    report = validate(tmp_path)
    assert_reported(report, "empty_file", "accounts", None, None)
    assert not find(report, "missing_column", "accounts"), "one problem, the file's, not one per column"
    assert "accounts.csv is empty (0 bytes" in find(report, "empty_file", "accounts")[0].detail


def test_a_file_that_is_not_utf8_says_so_whole(tables, tmp_path):
    write(tables, tmp_path, "csv")
    path = tmp_path / "accounts.csv"
    path.write_bytes(path.read_text().replace("Globex", "Soci\u00e9t\u00e9 G\u00e9n\u00e9rale").encode("latin-1"))
    report = validate(tmp_path)
    detail = find(report, "unreadable_file", "accounts")[0].detail
    assert "This file is not utf-8 encoded" in detail and "Save the file as UTF-8" in detail
    assert "\n" not in detail


def test_a_reporting_currency_the_rates_cannot_convert_into_is_named(tables, tmp_path):
    from sales_kpis.validate import currency_without_rates

    raw = write(tables, tmp_path)
    assert currency_without_rates(raw, "USD") is None
    reason = currency_without_rates(raw, "xxx")
    assert reason.startswith("amounts in USD have no rate into XXX in exchange_rates")
    assert "the data's rates convert into USD" in reason


def test_incompatible_parquet_type(tables, tmp_path):
    tables["users"]["hired_on"] = [20220110, 20230201, 20230615]
    report = validate(write(tables, tmp_path))
    assert_reported(report, "incompatible_type", "users", None, "hired_on")
    assert not report.ok


def test_parquet_physical_types_are_cast(tables, tmp_path):
    # dates stored as timestamps, integers as floats, ids as integers: all compatible
    tables["users"]["hired_on"] = pd.to_datetime(tables["users"]["hired_on"])
    tables["users"]["ramp_months"] = tables["users"]["ramp_months"].astype("float64")
    tables["quotas"]["quota_amount"] = tables["quotas"]["quota_amount"].astype("int64")
    report = validate(write(tables, tmp_path))
    assert report.problems == [], report.summary()


def test_blank_csv_values_are_null(tables, tmp_path):
    set_value(tables["opportunities"], 0, "stage_name", "   ")
    report = validate(write(tables, tmp_path, "csv"))
    assert_reported(report, "null_required", "opportunities", "opportunity_id=O1", "stage_name")


# --------------------------------------------------------------------------- notes, optional tables, stages


def test_non_contract_files_are_ignored_with_a_note(tables, tmp_path):
    write(tables, tmp_path)
    (tmp_path / "README.txt").write_text("hello")
    pd.DataFrame({"x": [1]}).to_csv(tmp_path / "deals_backup.csv", index=False)
    tables["accounts"].assign(website="acme.example").to_parquet(tmp_path / "accounts.parquet")
    report = validate(tmp_path)
    assert report.ok and report.problems == []
    assert any("README.txt" in n for n in report.notes)
    assert any("deals_backup.csv" in n for n in report.notes)
    assert any("website" in n and "accounts" in n for n in report.notes)
    assert "deals_backup" not in report.tables


def test_optional_tables_absent_are_fine(tables, tmp_path):
    for name in ("products", "activities", "exchange_rates"):
        del tables[name]
    tables["opportunities"]["currency"] = ["USD", "usd", None]
    tables["subscriptions"]["currency"] = [None, "USD"]
    report = validate(write(tables, tmp_path))
    assert report.ok and report.problems == [], report.summary()
    assert any("products" in n and "not checked" in n for n in report.notes)
    assert any("activities" in n and "absent" in n for n in report.notes)


@pytest.mark.parametrize("fmt", FORMATS)
def test_user_stages_file_overrides_default(tables, tmp_path, fmt):
    set_value(tables["opportunities"], 1, "stage_name", "Demo Booked")
    tables["stages"] = pd.DataFrame({
        "stage_name": ["Demo Booked", "Discovery", "Proposal", "Closed Won", "Closed Lost"],
        "stage_number": pd.array([1, 2, 3, 4, None], dtype="Int64"),
        "is_closed": [False, False, False, True, True],
        "is_won": [False, False, False, True, False],
        "forecast_probability": [0.2, 0.3, 0.6, 1.0, 0.0],
    })
    report = validate(write(tables, tmp_path, fmt))
    assert report.ok and report.problems == [], report.summary()
    assert report.tables["stages"] == 5

    # A default stage that the user's funnel does not have is now unknown.
    set_value(tables["opportunities"], 1, "stage_name", "Qualification")
    report = validate(write(tables, tmp_path, fmt))
    assert_reported(report, "unknown_stage", "opportunities", "opportunity_id=O2", "stage_name")


def test_user_stages_file_must_have_a_won_stage(tables, tmp_path):
    tables["stages"] = pd.DataFrame({
        "stage_name": ["Discovery", "Proposal", "Closed Won", "Closed Lost"],
        "stage_number": pd.array([1, 2, 3, None], dtype="Int64"),
        "is_closed": [False, False, True, True],
        "is_won": [False, False, False, False],
        "forecast_probability": [0.3, 0.6, 1.0, 0.0],
    })
    report = validate(write(tables, tmp_path))
    assert_reported(report, "invalid_stages_config", "stages", None, "is_won")


def test_missing_directory_reports_every_required_table(tmp_path):
    report = validate(tmp_path / "nope")
    assert {p.table for p in report.errors} == set(contract.REQUIRED_TABLES)
    assert all(p.problem == "missing_table" for p in report.errors)


# --------------------------------------------------------------------------- warnings, caps


def test_lead_oddities_are_warnings(tables, tmp_path):
    set_value(tables["leads"], 0, "mql_at", ts("2024-01-05 09:00:00"))  # after sql_at
    set_value(tables["leads"], 2, "converted_at", ts("2024-01-13 08:00:00"))  # disqualified and converted
    report = validate(write(tables, tmp_path))
    assert report.ok, report.summary()
    assert_reported(report, "lead_timestamps_out_of_order", "leads", "lead_id=L1", "sql_at", WARNING)
    assert_reported(report, "lead_disqualified_and_converted", "leads", "lead_id=L3", "disqualified_at", WARNING)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_open_deal_without_close_date_is_a_warning_a_closed_one_an_error(tables, tmp_path, fmt):
    """The contract allows an open deal without an expected close date (a warning); a closed deal needs one."""
    set_value(tables["opportunities"], 1, "close_date", None)  # O2, Discovery: open
    report = validate(write(tables, tmp_path, fmt))
    assert report.ok, report.summary()
    problem = assert_reported(report, "open_without_close_date", "opportunities", "opportunity_id=O2", "close_date",
                              WARNING)
    assert "Discovery" in problem.detail
    set_value(tables["opportunities"], 2, "close_date", None)  # O3, Closed Lost
    report = validate(write(tables, tmp_path / "closed", fmt))
    assert not report.ok
    assert_reported(report, "closed_without_close_date", "opportunities", "opportunity_id=O3", "close_date", ERROR)
    assert not find(report, "open_without_close_date", "opportunities")[1:], "only O2 is open and undated"


def test_examples_are_capped_but_all_rows_counted(tables, tmp_path):
    n = 30
    extra = pd.DataFrame({
        "opportunity_id": [f"X{i:02d}" for i in range(n)],
        "stage_name": ["Discovery"] * n,
        "entered_at": [ts("2024-01-01 00:00:00")] * n,
        "amount": [1.0] * n,
    })
    tables["opportunity_stage_history"] = pd.concat([tables["opportunity_stage_history"], extra],
                                                    ignore_index=True)
    report = validate(write(tables, tmp_path), max_examples=5)
    listed = find(report, "unknown_opportunity", "opportunity_stage_history")
    assert [p.key for p in listed[:5]] == [
        f"opportunity_id=X{i:02d}, stage_name=Discovery, entered_at=2024-01-01 00:00:00" for i in range(5)]
    assert len(listed) == 6 and listed[5].key is None
    assert "and 25 more rows (30 in total)" in listed[5].detail
    assert report.totals[("opportunity_stage_history", "unknown_opportunity", ERROR)] == n
    assert "30" in report.summary()


def test_timestamp_offsets_are_honoured(tables, tmp_path):
    # 01:00 at +02:00 is 23:00 UTC the day before, so closing that day is not "before creation".
    set_value(tables["opportunities"], 0, "created_at", "2024-02-29T01:00:00+02:00")
    set_value(tables["opportunities"], 0, "close_date", d("2024-02-28"))
    report = validate(write(tables, tmp_path, "csv"))
    assert report.problems == [], report.summary()
    set_value(tables["opportunities"], 0, "created_at", "2024-02-29T01:00:00-02:00")
    report = validate(write(tables, tmp_path, "csv"))
    assert_reported(report, "close_before_creation", "opportunities", "opportunity_id=O1", "close_date")


# --------------------------------------------------------------------------- generated data


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """Sample data from the generator, once per format (skipped while the generator is absent)."""
    generate = pytest.importorskip("sales_kpis.generate").generate
    base = tmp_path_factory.mktemp("generated")
    return {fmt: (base / fmt, generate(base / fmt, seed=7, leads=2_000, fmt=fmt)) for fmt in FORMATS}


@pytest.mark.parametrize("fmt", FORMATS)
def test_generated_data_is_clean(generated, fmt):
    raw_dir, counts = generated[fmt]
    report = validate(raw_dir)
    assert report.errors == [], report.summary()
    assert report.ok
    assert {name: n for name, n in report.tables.items() if name in counts} == counts


def test_generated_data_with_injected_problems(generated, tmp_path):
    import shutil

    raw_dir, _ = generated["parquet"]
    shutil.copytree(raw_dir, tmp_path, dirs_exist_ok=True)
    opportunities = pd.read_parquet(tmp_path / "opportunities.parquet")
    first, second = opportunities["opportunity_id"].iloc[0], opportunities["opportunity_id"].iloc[1]
    opportunities.loc[0, "stage_name"] = "Verbal Yes"
    opportunities.loc[1, "amount"] = -1
    opportunities.to_parquet(tmp_path / "opportunities.parquet", index=False)
    report = validate(tmp_path)
    assert_reported(report, "unknown_stage", "opportunities", f"opportunity_id={first}", "stage_name")
    assert_reported(report, "negative_amount", "opportunities", f"opportunity_id={second}", "amount")
    assert {(p.table, p.problem) for p in report.errors} == {
        ("opportunities", "unknown_stage"), ("opportunities", "negative_amount")}


def test_deleted_rows_are_only_checked_for_parsing(tables, tmp_path):
    opportunities = tables["opportunities"]
    opportunities.loc[2, "is_deleted"] = True
    set_value(opportunities, 2, "stage_name", "Demo Booked")  # ignored: the row is deleted
    set_value(opportunities, 2, "account_id", "A404")  # ignored too
    report = validate(write(tables, tmp_path))
    assert report.problems == [], report.summary()

    set_value(opportunities, 2, "close_date", "someday")  # the file itself is broken: still an error
    report = validate(write(tables, tmp_path))
    assert_reported(report, "unparseable_value", "opportunities", "opportunity_id=O3", "close_date")
    assert {p.problem for p in report.problems} == {"unparseable_value"}
