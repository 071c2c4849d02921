"""The revenue marts on public datasets (shared/datasets beside the repository), mapped by the importers.

* Maven CRM pipeline: kpi_new_business's win rate of closed deals and won
  revenue per quarter of 2017 equal a direct count of sales_pipeline.csv.
* dbt's mrr-playbook: kpi_arr_movements's monthly movements equal the
  playbook's own classification (computed here the way its mrr.sql does), x 12.
* RavenStack: builds and gives an NRR / GRR table.
Skipped when the datasets are not there.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import build_ok, describe_run, query_df

from sales_kpis.dbt_runner import DbtOptions, run_dbt

DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


def dataset(name: str) -> Path:
    path = DATASETS / name
    if not path.is_dir():
        pytest.skip(f"public dataset {name} not found in {DATASETS}")
    return path


def build(raw_dir: Path, workdir: Path, as_of: str, select: str) -> Path:
    options = DbtOptions(raw_dir=raw_dir, database=workdir / "wh.duckdb", as_of=as_of,
                         target_path=workdir / "target", select=[select])
    run = run_dbt("build", options, extra_args=["--log-level", "none"])
    assert build_ok(run), describe_run(run)
    return workdir / "wh.duckdb"


def test_maven_win_rate_and_won_revenue_per_quarter_of_2017(tmp_path):
    from sales_kpis.importers.maven import import_maven

    source = dataset("maven_crm_sales_opportunities")
    import_maven(source, tmp_path / "raw")
    database = build(tmp_path / "raw", tmp_path, "2017-12-31", "+kpi_new_business")
    ours = query_df(database, """
        select period_start, sum(won_opportunities) as won, sum(closed_opportunities) as closed, sum(won_arr) as won_arr
        from kpi_new_business
        where period_grain = 'quarter' and level = 'company' and period_start between '2017-01-01' and '2017-10-01'
        group by period_start order by period_start
    """)
    pipeline = pd.read_csv(source / "sales_pipeline.csv")
    closed = pipeline[pipeline["deal_stage"].isin(["Won", "Lost"])].copy()
    closed["quarter"] = pd.to_datetime(closed["close_date"]).dt.to_period("Q").dt.start_time.dt.date
    direct = closed.groupby("quarter").apply(lambda deals: pd.Series({
        "won": int((deals["deal_stage"] == "Won").sum()),
        "closed": len(deals),
        "won_arr": float(deals.loc[deals["deal_stage"] == "Won", "close_value"].sum()),
    }), include_groups=False).reset_index()
    assert len(ours) == len(direct) == 4
    for (_, mine), (_, theirs) in zip(ours.iterrows(), direct.iterrows()):
        assert pd.Timestamp(mine["period_start"]).date() == theirs["quarter"]
        assert int(mine["won"]) == theirs["won"] and int(mine["closed"]) == theirs["closed"]
        assert abs(mine["won"] / mine["closed"] - theirs["won"] / theirs["closed"]) < 1e-12
        assert round(float(mine["won_arr"]), 2) == round(theirs["won_arr"], 2)
    # the open deals, undated as shipped, leave the closed quarters as they were
    assert [round(float(value)) for value in ours["won_arr"]] == [1_134_672, 3_086_111, 2_982_255, 2_802_496]


def playbook_movements(periods: pd.DataFrame, last_month: pd.Timestamp) -> pd.DataFrame:
    """The mrr-playbook's customer x month classification (models/mrr.sql), summed per month and category."""
    months = pd.date_range(periods["start_date"].min(), last_month, freq="MS")
    rows = []
    for customer, subs in periods.groupby("customer_id"):
        mrr = {month: subs.loc[(subs["start_date"] <= month) & (subs["end_date"] > month), "monthly_amount"].sum()
               for month in months}
        active = [month for month in months if mrr[month] > 0]
        spine = [month for month in months if active[0] <= month <= active[-1] + pd.offsets.MonthBegin(1)]
        previous_mrr, previous_active = 0, False
        for index, month in enumerate(spine):
            is_active = mrr[month] > 0
            change = mrr[month] - previous_mrr
            if index == 0:
                category = "new"
            elif not is_active and previous_active:
                category = "churn"
            elif is_active and not previous_active:
                category = "reactivation"
            elif change > 0:
                category = "upgrade"
            elif change < 0:
                category = "downgrade"
            else:
                category = None
            if category:
                rows.append({"month": month, "category": category, "mrr_change": change, "customer": customer})
            previous_mrr, previous_active = mrr[month], is_active
    frame = pd.DataFrame(rows)
    return frame.groupby(["month", "category"]).agg(mrr=("mrr_change", "sum"), customers=("customer", "count")).reset_index()


def test_mrr_playbook_movements_match_its_own_classification(tmp_path):
    from sales_kpis.importers.mrr_playbook import import_mrr_playbook

    source = dataset("mrr_playbook")
    import_mrr_playbook(source, tmp_path / "raw")
    database = build(tmp_path / "raw", tmp_path, "2020-12-31", "+kpi_arr_movements")
    ours = query_df(database, "select * from kpi_arr_movements where period_grain = 'month'")
    ours["month"] = pd.to_datetime(ours["period_start"])
    ours = ours.groupby("month").sum(numeric_only=True)
    periods = pd.read_csv(source / "subscription_periods.csv", parse_dates=["start_date", "end_date"])
    theirs = playbook_movements(periods, pd.Timestamp("2020-12-01"))
    columns = {"new": ("new_arr", "new_customers", 1), "reactivation": ("reactivation_arr", "reactivated_customers", 1),
               "upgrade": ("expansion_arr", "expanded_customers", 1), "downgrade": ("contraction_arr", "contracted_customers", -1),
               "churn": ("churned_arr", "churned_customers", -1)}
    compared = 0
    for month in ours.index:
        for category, (arr_column, customer_column, sign) in columns.items():
            match = theirs[(theirs["month"] == month) & (theirs["category"] == category)]
            mrr = float(match["mrr"].sum()) if len(match) else 0.0
            customers = int(match["customers"].sum()) if len(match) else 0
            assert round(float(ours.loc[month, arr_column]), 2) == round(12 * sign * mrr, 2), (month, category)
            assert int(ours.loc[month, customer_column]) == customers, (month, category)
            compared += 2
    assert set(theirs["month"]) <= set(ours.index)
    assert compared > 300


def test_ravenstack_builds_and_gives_nrr_and_grr(tmp_path):
    from sales_kpis.importers.ravenstack import import_ravenstack

    source = dataset("ravenstack_saas")
    import_ravenstack(source, tmp_path / "raw")
    subscriptions = pd.read_csv(source / "ravenstack_subscriptions.csv")
    as_of = (pd.to_datetime(subscriptions["start_date"]).max() + pd.offsets.MonthEnd(0)).strftime("%Y-%m-%d")
    database = build(tmp_path / "raw", tmp_path, as_of, "+kpi_retention")
    table = query_df(database, """
        select period_end, sum(base_arr) as base_arr, sum(retained_arr) as retained_arr,
            sum(gross_retained_arr) as gross_retained_arr,
            sum(retained_arr) / sum(base_arr) as nrr, sum(gross_retained_arr) / sum(base_arr) as grr
        from kpi_retention group by period_end order by period_end
    """)
    assert len(table) > 0
    assert ((table["grr"] >= 0) & (table["grr"] <= 1)).all()
    assert (table["gross_retained_arr"] <= table["retained_arr"]).all()
