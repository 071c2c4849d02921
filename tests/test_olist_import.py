"""The Olist marketing funnel, imported onto the contract and built: the funnel marts
reproduce the MQL -> won conversion computed directly from the CSV files.

Needs the shared datasets next to the repository (``<repo>/../shared/datasets``,
read-only in CI); skipped with the reason when they are absent.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from conftest import build_ok, describe_run, query, query_df, run_build
from sales_kpis.importers.olist import DEALS_FILE, MQL_FILE, import_olist, latest_event_date
from sales_kpis.project import project_dir

OLIST_DIR = project_dir().parent / "shared" / "datasets" / "olist_marketing_funnel"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (OLIST_DIR / MQL_FILE).is_file() or not (OLIST_DIR / DEALS_FILE).is_file(),
        reason=f"the Olist marketing funnel is not at {OLIST_DIR}",
    ),
]


@pytest.fixture(scope="module")
def direct() -> pd.DataFrame:
    """MQLs and won deals per origin, straight from the CSVs (a blank origin counts as Olist's `unknown`)."""
    mqls = pd.read_csv(OLIST_DIR / MQL_FILE)
    deals = pd.read_csv(OLIST_DIR / DEALS_FILE)
    mqls["origin"] = mqls["origin"].fillna("unknown")
    table = pd.DataFrame({
        "mqls": mqls.groupby("origin").size(),
        "won": mqls[mqls["mql_id"].isin(deals["mql_id"])].groupby("origin").size(),
    }).fillna(0).astype(int)
    table.loc["(all)"] = table.sum()
    table["conversion"] = table["won"] / table["mqls"]
    return table


@pytest.fixture(scope="module")
def olist_warehouse(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("olist")
    counts = import_olist(OLIST_DIR, workdir / "raw")
    assert counts["leads"] == 8000 and counts["opportunities"] == 842
    as_of = latest_event_date(OLIST_DIR)
    run = run_build(workdir / "raw", workdir, as_of=as_of)
    assert build_ok(run), describe_run(run)
    return workdir / "wh.duckdb"


def test_import_writes_every_required_table(tmp_path):
    counts = import_olist(OLIST_DIR, tmp_path)
    assert counts == {"users": 41, "accounts": 842, "leads": 8000, "opportunities": 842,
                      "opportunity_stage_history": 842, "subscriptions": 0, "quotas": 0, "targets": 0}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{name}.parquet" for name in counts)
    leads = pd.read_parquet(tmp_path / "leads.parquet")
    assert (leads["mql_at"] == leads["created_at"]).all()
    assert leads["converted_opportunity_id"].notna().sum() == 842


def test_marts_reproduce_mql_to_won_conversion_by_origin(olist_warehouse, direct):
    generation = query_df(olist_warehouse, """
        select lead_source, sum(leads_created) as mqls, sum(cohort_converted) as won
        from kpi_lead_generation where period_grain = 'year' group by lead_source
    """).set_index("lead_source")
    pipeline = query_df(olist_warehouse, """
        select lead_source, sum(stage1_opportunities) as won
        from kpi_pipeline_creation where period_grain = 'year' and level = 'company' group by lead_source
    """).set_index("lead_source")
    generation.loc["(all)"] = generation.sum()
    pipeline.loc["(all)"] = pipeline.sum()
    assert sorted(generation.index) == sorted(direct.index)
    for origin, row in direct.iterrows():
        assert int(generation.loc[origin, "mqls"]) == row["mqls"], origin
        assert int(generation.loc[origin, "won"]) == row["won"], origin
        assert int(pipeline["won"].get(origin, 0)) == row["won"], origin
        assert abs(generation.loc[origin, "won"] / generation.loc[origin, "mqls"] - row["conversion"]) < 1e-12
    assert direct.loc["(all)", "won"] == 842 and direct.loc["(all)", "mqls"] == 8000


def test_cohorts_reach_every_won_deal(olist_warehouse):
    # Quarter cohorts followed for 8 quarters cover the whole history: every won deal is reached.
    leads, reached = query(olist_warehouse, """
        select sum(cohort_leads), sum(reached_stage1) from kpi_pipeline_cohorts as cohorts
        where cohort_grain = 'quarter' and periods_since_start = (
            select max(periods_since_start) from kpi_pipeline_cohorts as oldest
            where oldest.cohort_grain = cohorts.cohort_grain and oldest.cohort_start = cohorts.cohort_start)
    """)[0]
    assert (leads, reached) == (8000, 842)


def test_deal_won_before_first_contact_is_repaired_listed_and_kept(olist_warehouse):
    issues = query(olist_warehouse, """
        select record_key, problem from main_data_quality.dq_record_issues
        where table_name = 'opportunities' and column_name = 'close_date'
    """)
    assert [key for key, _ in issues] == ["deal_b91cf8812365f50ff4bda4bcd6206b05"]
    won, lost, total = query(
        olist_warehouse, "select count(*) filter (where is_won), count(*) filter (where is_lost), count(*) from fct_opportunities")[0]
    assert (won, lost, total) == (842, 0, 842)
    converted = query(
        olist_warehouse, "select is_converted, is_won from fct_leads where lead_id = 'b91cf8812365f50ff4bda4bcd6206b05'")[0]
    assert converted == (True, True)
