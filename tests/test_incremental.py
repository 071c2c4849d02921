"""The default build equals a fresh build of the same raw data, row for row, whatever changed.

docs/decisions/0006-incremental.md and 0030-full-builds-by-default.md. The
scenario: `sales-kpis build` (sales_kpis.incremental.build) makes the
warehouse as of D-1 from the session's generated data; then one more day
arrives (the generated data's own day D: new leads, opportunities and stage
entries become visible at as-of D), together with the awkward cases of a real
CRM sync:

- a lost opportunity is reopened at a later stage, and the history row
  arrives late: entered ten days before D (older than the 7-day look-back),
  with the opportunity's updated_at moved to D;
- an opportunity is soft-deleted on D;
- a new opportunity is created on D with its first stage entry.

Every change is one the look-back sees, so the default build as of D takes the
incremental path (reusing the D-1 warehouse), and must equal a fresh build as
of D in every mart and in the incremental facts. Further checks prove the
scenario is not trivial: the second run really took the incremental path, and
the late, deleted and new records are where they belong.

Then a CRM re-sync restates five old rows (a lead re-pointed to another
opportunity, a lead's created_at moved three days, a won deal's amount
doubled, a subscription's arr raised, a stage-history row deleted): the
default build sees it, rebuilds in full, says why, and equals a fresh build.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from conftest import AS_OF, build_ok, copy_raw, copy_warehouse, describe_run, query, run_build

from sales_kpis import incremental
from sales_kpis.dbt_runner import DbtOptions

pytestmark = pytest.mark.slow

DAY_BEFORE = (datetime.strptime(AS_OF, "%Y-%m-%d") - timedelta(days=1)).strftime("%Y-%m-%d")
# Models and seeds only: the data tests run in the session build (test_build.py);
# here only the tables matter, and three full builds would triple the time.
MODELS_ONLY = {"exclude": ["resource_type:test", "resource_type:unit_test"]}
#: The incremental materialisation, as `sales-kpis build` sets it after its check.
INCREMENTAL_VAR = {"variables": {"incremental": True}}
INCREMENTAL_FACT = "int_opportunity_stage_entries"
INCREMENTAL_FACTS = (INCREMENTAL_FACT, "fct_leads", "int_account_product_arr_monthly", "int_account_arr_monthly",
                     "int_account_arr_movements")
MONTHLY_FACTS = ("int_account_product_arr_monthly", "int_account_arr_monthly", "int_account_arr_movements")
#: An as-of date before the incremental warehouse's: the October month end must disappear, and
#: September's becomes the month to date (measured through the 15th).
EARLIER_AS_OF = "2026-09-15"


def append_a_day(raw_dir: Path, destination: Path) -> dict[str, str]:
    """A copy of raw_dir with day D's late, updated, deleted and new records; returns the ids used."""
    import pandas as pd

    copy_raw(raw_dir, destination)
    opportunities = pd.read_parquet(destination / "opportunities.parquet")
    history = pd.read_parquet(destination / "opportunity_stage_history.parquet")
    day = pd.Timestamp(AS_OF)
    old = opportunities[(opportunities["created_at"] < day - pd.Timedelta(days=60))
                        & (opportunities["updated_at"] < day - pd.Timedelta(days=30))
                        & ~opportunities["is_deleted"].fillna(False)]
    with_history = set(history["opportunity_id"])
    lost_old = old[(old["stage_name"] == "Closed Lost") & old["opportunity_id"].isin(with_history)]
    won_old = old[(old["stage_name"] == "Closed Won") & old["opportunity_id"].isin(with_history)]
    assert len(lost_old) and len(won_old), "the generated data has no old won and lost opportunities"
    moved, deleted = lost_old.iloc[0]["opportunity_id"], won_old.iloc[0]["opportunity_id"]

    # The late stage change: a lost deal reopened at Proposal, entered ten days
    # before D, the deal's updated_at moved to D.
    late_entry = day - pd.Timedelta(days=10) + pd.Timedelta(hours=11)
    history = pd.concat([history, pd.DataFrame([{"opportunity_id": moved, "stage_name": "Proposal",
                                                 "entered_at": late_entry, "amount": None}])], ignore_index=True)
    opportunities.loc[opportunities["opportunity_id"] == moved, ["stage_name", "updated_at"]] = [
        "Proposal", day + pd.Timedelta(hours=12)]
    # The soft delete.
    opportunities.loc[opportunities["opportunity_id"] == deleted, ["is_deleted", "updated_at"]] = [
        True, day + pd.Timedelta(hours=13)]
    # The new deal.
    template = lost_old.iloc[-1].to_dict()
    created = day + pd.Timedelta(hours=9)
    new = dict(template, opportunity_id="O99999999", stage_name="Discovery", amount=12345.0, currency="USD",
               created_at=created, updated_at=created, close_date=(day + pd.Timedelta(days=60)).date(),
               is_deleted=False, lead_id=None)
    opportunities = pd.concat([opportunities, pd.DataFrame([new])], ignore_index=True)
    history = pd.concat([history, pd.DataFrame([{"opportunity_id": "O99999999", "stage_name": "Discovery",
                                                 "entered_at": created, "amount": None}])], ignore_index=True)
    opportunities.to_parquet(destination / "opportunities.parquet", index=False)
    history.to_parquet(destination / "opportunity_stage_history.parquet", index=False)

    # Leads: an old lead qualified on D (its only change is the new step), an
    # old lead soft-deleted on D (no timestamp says so), a new lead on D, and
    # an account re-segmented (no timestamp either): the leads of its deals
    # must follow through the comparison with fct_opportunities.
    leads = pd.read_parquet(destination / "leads.parquet")
    accounts = pd.read_parquet(destination / "accounts.parquet")
    quiet = leads[(leads["created_at"] < day - pd.Timedelta(days=60)) & leads["sql_at"].isna()
                  & leads["disqualified_at"].isna() & leads["converted_at"].isna()
                  & ~leads["is_deleted"].fillna(False)]
    qualified, lead_deleted = quiet.iloc[0]["lead_id"], quiet.iloc[1]["lead_id"]
    leads.loc[leads["lead_id"] == qualified, "sql_at"] = day + pd.Timedelta(hours=10)
    leads.loc[leads["lead_id"] == lead_deleted, "is_deleted"] = True
    new_lead = dict(quiet.iloc[2].to_dict(), lead_id="L99999999", created_at=day + pd.Timedelta(hours=8),
                    mql_at=None, sql_at=None, disqualified_at=None, converted_at=None,
                    converted_account_id=None, converted_opportunity_id=None, is_deleted=False)
    leads = pd.concat([leads, pd.DataFrame([new_lead])], ignore_index=True)
    linked = opportunities[opportunities["lead_id"].notna() & (opportunities["created_at"] < day - pd.Timedelta(days=60))
                           & (opportunities["updated_at"] < day - pd.Timedelta(days=30))]
    resegmented = linked.iloc[0]["account_id"]
    current = accounts.loc[accounts["account_id"] == resegmented, "segment"].iloc[0]
    accounts.loc[accounts["account_id"] == resegmented, "segment"] = "SMB" if current != "SMB" else "Enterprise"
    leads.to_parquet(destination / "leads.parquet", index=False)
    accounts.to_parquet(destination / "accounts.parquet", index=False)

    # Subscriptions: one starting on D (D is a month end, so the incremental
    # run adds that month end for every account) and one ending on D.
    subscriptions = pd.read_parquet(destination / "subscriptions.parquet")
    running = subscriptions[subscriptions["ends_on"].isna()
                            & (pd.to_datetime(subscriptions["starts_on"]) < day - pd.Timedelta(days=90))]
    ended = running.iloc[0]["subscription_id"]
    subscriptions.loc[subscriptions["subscription_id"] == ended, "ends_on"] = day.date()
    started = dict(running.iloc[1].to_dict(), subscription_id="S99999999", starts_on=day.date(), ends_on=None,
                   account_id=resegmented)
    subscriptions = pd.concat([subscriptions, pd.DataFrame([started])], ignore_index=True)
    subscriptions.to_parquet(destination / "subscriptions.parquet", index=False)
    # A paying account re-segmented (no timestamp): its kept month ends must
    # follow (the segment post-hook of the ARR fact).
    paying = running.iloc[2]["account_id"]
    current = accounts.loc[accounts["account_id"] == paying, "segment"].iloc[0]
    accounts.loc[accounts["account_id"] == paying, "segment"] = "SMB" if current != "SMB" else "Enterprise"
    accounts.to_parquet(destination / "accounts.parquet", index=False)
    return {"moved": moved, "deleted": deleted, "new": "O99999999", "qualified": qualified,
            "lead_deleted": lead_deleted, "new_lead": "L99999999", "resegmented_lead": linked.iloc[0]["lead_id"]}


def table_relations(database: Path) -> dict[str, str]:
    rows = query(database, "select schema_name, table_name from duckdb_tables() where database_name = current_database()")
    return {name: f'"{schema}"."{name}"' for schema, name in rows}


def restate_old_rows(raw_dir: Path, destination: Path) -> dict[str, str]:
    """A copy of raw_dir where a CRM re-sync restated five old rows, moving no timestamp that says so."""
    import pandas as pd

    copy_raw(raw_dir, destination)
    day = pd.Timestamp(AS_OF)
    old = day - pd.Timedelta(days=90)
    leads = pd.read_parquet(destination / "leads.parquet")
    opportunities = pd.read_parquet(destination / "opportunities.parquet")
    history = pd.read_parquet(destination / "opportunity_stage_history.parquet")
    subscriptions = pd.read_parquet(destination / "subscriptions.parquet")
    steps = ["created_at", "mql_at", "sql_at", "disqualified_at", "converted_at"]
    quiet_leads = leads[(leads[steps].max(axis=1) < old) & ~leads["is_deleted"].fillna(False)]
    quiet_deals = opportunities[(opportunities["created_at"] < old) & (opportunities["updated_at"] < old)
                                & ~opportunities["is_deleted"].fillna(False)]
    # a lead re-pointed to another opportunity; another lead's created_at moved three days earlier
    converted = quiet_leads[quiet_leads["converted_opportunity_id"].notna()]
    repointed, moved = converted.iloc[-1]["lead_id"], quiet_leads.iloc[-1]["lead_id"]
    other_deal = quiet_deals[~quiet_deals["opportunity_id"].isin(converted["converted_opportunity_id"])].iloc[0]
    leads.loc[leads["lead_id"] == repointed, "converted_opportunity_id"] = other_deal["opportunity_id"]
    leads.loc[leads["lead_id"] == moved, "created_at"] -= pd.Timedelta(days=3)
    # a won deal's amount doubled
    doubled = quiet_deals[quiet_deals["stage_name"] == "Closed Won"].iloc[-1]["opportunity_id"]
    opportunities.loc[opportunities["opportunity_id"] == doubled, "amount"] *= 2
    # a subscription's arr raised
    running = subscriptions[subscriptions["ends_on"].isna() & (pd.to_datetime(subscriptions["starts_on"]) < old)]
    raised = running.iloc[-1]["subscription_id"]
    subscriptions.loc[subscriptions["subscription_id"] == raised, "arr"] *= 1.5
    # a stage-history row deleted: the second entry of a quiet deal with three or more
    entries = history[history["opportunity_id"].isin(quiet_deals["opportunity_id"])].sort_values("entered_at")
    counts = entries.groupby("opportunity_id")["stage_name"].transform("size")
    dropped = entries[counts >= 3].groupby("opportunity_id").nth(1).iloc[-1]
    history = history[~((history["opportunity_id"] == dropped["opportunity_id"])
                        & (history["entered_at"] == dropped["entered_at"]))]
    leads.to_parquet(destination / "leads.parquet", index=False)
    opportunities.to_parquet(destination / "opportunities.parquet", index=False)
    history.to_parquet(destination / "opportunity_stage_history.parquet", index=False)
    subscriptions.to_parquet(destination / "subscriptions.parquet", index=False)
    return {"repointed": repointed, "moved": moved, "doubled": doubled, "raised": raised,
            "dropped": dropped["opportunity_id"]}


def default_build(raw_dir: Path, workdir: Path, as_of: str):
    """`sales-kpis build` (models only) into workdir/wh.duckdb: the incremental check, dbt, publishing."""
    options = DbtOptions(raw_dir=raw_dir, database=workdir / "wh.duckdb", as_of=as_of, target_path=workdir / "target",
                         **MODELS_ONLY)
    result, decision = incremental.build(options, extra_args=["--log-level", "none"])
    assert build_ok(result.run), describe_run(result.run)
    return decision


@pytest.fixture(scope="module")
def incremental_and_full(generated_raw_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    workdir = tmp_path_factory.mktemp("incremental")
    next_day_raw = workdir / "raw-next-day"
    ids = append_a_day(generated_raw_dir, next_day_raw)

    daily = workdir / "incremental"
    first = default_build(generated_raw_dir, daily, DAY_BEFORE)
    assert not first.incremental  # nothing to continue from
    copy_warehouse(daily / "wh.duckdb", workdir / "restated" / "wh.duckdb")
    rows_before = query(daily / "wh.duckdb", f"select count(*) from {table_relations(daily / 'wh.duckdb')[INCREMENTAL_FACT]}")[0][0]
    second = default_build(next_day_raw, daily, AS_OF)
    assert second.incremental and second.changed_rows > 0, second.message

    full = workdir / "full"
    rebuilt = run_build(next_day_raw, full, as_of=AS_OF, **MODELS_ONLY)
    assert build_ok(rebuilt), describe_run(rebuilt)
    compiled = {fact: next((daily / "target" / "compiled").rglob(f"{fact}.sql")).read_text()
                for fact in INCREMENTAL_FACTS}
    return daily / "wh.duckdb", full / "wh.duckdb", ids, rows_before, compiled


def differences(incremental_db: Path, full_db: Path) -> list[str]:
    """The kpi_, fct_, dim_ tables and incremental facts whose rows differ between two warehouses."""
    incremental_tables, full_tables = table_relations(incremental_db), table_relations(full_db)
    compared = [name for name in full_tables if name.startswith(("kpi_", "fct_", "dim_")) or name in INCREMENTAL_FACTS]
    assert set(INCREMENTAL_FACTS) <= set(compared) and "fct_opportunities" in compared
    problems = []
    for name in sorted(compared):
        # The watermark says which build wrote a row: rows an incremental run did
        # not touch keep the earlier date by design; every other column must match.
        columns = "* exclude (built_as_of_date)" if name in INCREMENTAL_FACTS else "*"
        incremental_rows = Counter(query(incremental_db, f"select {columns} from {incremental_tables[name]}"))
        full_rows = Counter(query(full_db, f"select {columns} from {full_tables[name]}"))
        if incremental_rows != full_rows:
            problems.append(f"{name}: {sum((incremental_rows - full_rows).values())} rows only in the incremental "
                            f"build, {sum((full_rows - incremental_rows).values())} only in the rebuild")
    return problems


def test_incremental_build_equals_full_rebuild(incremental_and_full) -> None:
    incremental_db, full_db, _, _, _ = incremental_and_full
    problems = differences(incremental_db, full_db)
    assert not problems, "\n".join(problems)


def kpi_marts() -> set[str]:
    return {path.stem for path in (Path(__file__).resolve().parents[1] / "models" / "marts").rglob("kpi_*.sql")}


@pytest.fixture(scope="module")
def restated(incremental_and_full):
    """The D-1 warehouse, then the day's raw data with five old rows restated: the default build as of D,
    and a fresh build of the same raw data."""
    workdir = incremental_and_full[0].parent.parent
    restated_raw = workdir / "raw-restated"
    ids = restate_old_rows(workdir / "raw-next-day", restated_raw)
    decision = default_build(restated_raw, workdir / "restated", AS_OF)
    fresh = run_build(restated_raw, workdir / "restated-fresh", as_of=AS_OF, **MODELS_ONLY)
    assert build_ok(fresh), describe_run(fresh)
    return workdir / "restated" / "wh.duckdb", workdir / "restated-fresh" / "wh.duckdb", decision, ids


def test_restated_old_rows_make_the_default_build_a_full_one(restated) -> None:
    """The check names each table and how many of its rows the look-back would have missed."""
    _, _, decision, _ = restated
    assert not decision.incremental
    assert decision.reason == ("5 raw rows changed that the 7-day look-back (from 2026-10-23) would not see: "
                               "leads 2, opportunities 1, opportunity_stage_history 1, subscriptions 1"), decision.reason


def test_restated_old_rows_default_build_equals_a_fresh_build(restated) -> None:
    default_db, fresh_db, _, _ = restated
    marts = kpi_marts()
    assert len(marts) >= 16 and marts <= set(table_relations(fresh_db))
    problems = differences(default_db, fresh_db)
    assert not problems, f"{len([p for p in problems if p.startswith('kpi_')])} of {len(marts)} kpi_ marts differ:\n" \
        + "\n".join(problems)


def test_a_plain_dbt_build_builds_the_incremental_facts_in_full(incremental_and_full) -> None:
    """Without var incremental (a direct `dbt build`), the five facts are tables: nothing is left stale."""
    import json

    full_db = incremental_and_full[1]
    manifest = json.loads((full_db.parent / "target" / "manifest.json").read_text())
    materialized = {node["name"]: node["config"]["materialized"] for node in manifest["nodes"].values()
                    if node["name"] in INCREMENTAL_FACTS and node["resource_type"] == "model"}
    assert materialized == {fact: "table" for fact in INCREMENTAL_FACTS}


def test_an_earlier_as_of_date_on_an_incremental_warehouse_equals_a_rebuild(incremental_and_full, tmp_path) -> None:
    """Reproducing an earlier dashboard on the daily warehouse: month ends after the earlier date must go.

    dbt's delete+insert alone deletes only the months in the new batch; the
    month-keyed facts' pre-hook (delete_recomputed_months) clears the rest.
    """
    incremental_db = incremental_and_full[0]
    next_day_raw = incremental_db.parent.parent / "raw-next-day"
    copy_warehouse(incremental_db, tmp_path / "again" / "wh.duckdb")
    again = run_build(next_day_raw, tmp_path / "again", as_of=EARLIER_AS_OF, **MODELS_ONLY, **INCREMENTAL_VAR)
    assert build_ok(again), describe_run(again)
    fresh = run_build(next_day_raw, tmp_path / "fresh", as_of=EARLIER_AS_OF, **MODELS_ONLY)
    assert build_ok(fresh), describe_run(fresh)
    for fact in MONTHLY_FACTS:
        relation = table_relations(tmp_path / "again" / "wh.duckdb")[fact]
        month_end, measured_through = query(tmp_path / "again" / "wh.duckdb",
                                            f"select max(month_end), max(measured_through) from {relation}")[0]
        assert (month_end.isoformat(), measured_through.isoformat()) == ("2026-09-30", EARLIER_AS_OF), fact
    problems = differences(tmp_path / "again" / "wh.duckdb", tmp_path / "fresh" / "wh.duckdb")
    assert not problems, "\n".join(problems)


def test_the_day_changed_what_it_should(incremental_and_full) -> None:
    """The scenario bites: the late stage change, the delete and the new deal are in the incremental fact."""
    incremental_db, _, ids, rows_before, compiled = incremental_and_full
    assert "updated_at >= cast(" in compiled[INCREMENTAL_FACT], "the second build did not take the incremental path"
    fact = table_relations(incremental_db)[INCREMENTAL_FACT]
    rows = query(incremental_db, f"select opportunity_id, stage_name, built_as_of_date from {fact} "
                                 "where opportunity_id in (?, ?, ?)", [ids["moved"], ids["deleted"], ids["new"]])
    stages = {(opportunity, stage) for opportunity, stage, _ in rows}
    assert (ids["moved"], "Proposal") in stages, "the late-arriving stage entry was missed"
    assert not any(opportunity == ids["deleted"] for opportunity, _, _ in rows), "the deleted deal kept its entries"
    assert (ids["new"], "Discovery") in stages, "the new deal is missing"
    assert {str(built)[:10] for _, _, built in rows} == {AS_OF}  # rewritten by the incremental run
    rows_after = query(incremental_db, f"select count(*) from {fact}")[0][0]
    assert rows_before > 0 and rows_after > 0


def test_the_day_changed_the_leads_it_should(incremental_and_full) -> None:
    """The lead fact took the incremental path and rewrote exactly the touched leads, not all of them."""
    incremental_db, _, ids, _, compiled = incremental_and_full
    assert "stale_leads" in compiled["fct_leads"], "fct_leads did not take the incremental path"
    fact = table_relations(incremental_db)["fct_leads"]
    rows = dict(query(incremental_db, f"select lead_id, cast(built_as_of_date as varchar) from {fact} "
                                      "where lead_id in (?, ?, ?, ?)",
                      [ids["qualified"], ids["lead_deleted"], ids["new_lead"], ids["resegmented_lead"]]))
    assert ids["lead_deleted"] not in rows, "the deleted lead is still in fct_leads"
    for key in ("qualified", "new_lead", "resegmented_lead"):
        assert rows.get(ids[key]) == AS_OF, f"{key} lead {ids[key]} was not recomputed: {rows.get(ids[key])}"
    by_date = dict(query(incremental_db, f"select cast(built_as_of_date as varchar), count(*) from {fact} group by 1"))
    assert by_date.get(DAY_BEFORE, 0) > 10 * by_date.get(AS_OF, 0), \
        f"the incremental run rewrote too many leads: {by_date}"


def test_the_day_changed_the_account_months_it_should(incremental_and_full) -> None:
    """The ARR fact took the incremental path: earlier month ends kept, the new month end written."""
    incremental_db, _, _, _, compiled = incremental_and_full
    assert "month_start >= cast(" in compiled["int_account_product_arr_monthly"] \
        and "cast('1900-01-01' as date)" not in compiled["int_account_product_arr_monthly"], \
        "int_account_product_arr_monthly did not take the incremental path"
    for name in MONTHLY_FACTS:
        assert "cast('1900-01-01' as date)" not in compiled[name] and "cast('2026-10-01' as date)" in compiled[name], \
            f"{name} did not take the incremental path"
        fact = table_relations(incremental_db)[name]
        by_date = dict(query(incremental_db, f"select cast(built_as_of_date as varchar), count(*) from {fact} group by 1"))
        assert by_date.get(DAY_BEFORE, 0) > 0 and by_date.get(AS_OF, 0) > 0, (name, by_date)
        assert query(incremental_db, f"select max(month_end) from {fact}")[0][0].isoformat() == AS_OF
        # kept rows: the month ends before the look-back's month
        assert query(incremental_db, f"select max(month_start) from {fact} where built_as_of_date < '{AS_OF}'"
                     )[0][0].isoformat() < "2026-10-01", name


def test_moving_the_as_of_date_reparses_nothing(generated_raw_dir, tmp_path) -> None:
    """A daily run moves the as-of date through SALES_KPIS_AS_OF_DATE: dbt keeps its parse, the SQL has the new date.

    A changed --vars value makes dbt re-parse the whole project (about 18 s of
    the start-up at any scale); macros/calendar/as_of_date.sql reads the env
    var only when dbt executes, so the second parse finds nothing to do.
    """
    import json

    from sales_kpis.dbt_runner import DbtOptions, run_dbt

    def options(as_of: str, **extra) -> DbtOptions:
        return DbtOptions(raw_dir=generated_raw_dir, database=tmp_path / "wh.duckdb", as_of=as_of,
                          target_path=tmp_path / "target", **extra)

    assert "as_of_date" not in options(AS_OF).dbt_vars() \
        and options(AS_OF).environment()["SALES_KPIS_AS_OF_DATE"] == AS_OF
    first = run_dbt("parse", options(DAY_BEFORE), extra_args=["--log-level", "none"])
    assert first.success, describe_run(first)
    second = run_dbt("parse", options(AS_OF), extra_args=["--log-level", "none"])
    assert second.success, describe_run(second)
    perf = json.loads((tmp_path / "target" / "perf_info.json").read_text())
    assert perf["is_partial_parse_enabled"] and perf["parsed_path_count"] == 0, \
        f"moving the as-of date re-parsed {perf['parsed_path_count']} of {perf['path_count']} files"
    compiled = run_dbt("compile", options(AS_OF, select=["dim_dates"]), extra_args=["--log-level", "none"])
    assert compiled.success, describe_run(compiled)
    sql = next(result.compiled_code for result in compiled.results if result.name == "dim_dates")
    assert f"cast('{AS_OF}' as date)" in sql and DAY_BEFORE not in sql
