"""The Maven CRM pipeline through the performance marts: per-agent 2017 figures match the source file.

``../shared/datasets/maven_crm_sales_opportunities`` (8,800 deals of 35 agents)
is imported (``importers.maven``), built as of 2017-12-31, and each
agent's 2017 won revenue, won and closed deals and win rate read from
``kpi_rep_attainment`` (summed over the agent's 2017 quarters) must equal a
direct count of ``sales_pipeline.csv`` with the csv module; managers
(``kpi_team_attainment``, manager_direct) and regional offices (team) too.
The table in docs/guides/public-datasets.md must show the same numbers.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import build_ok, describe_run, run_build

from sales_kpis.importers.maven import MAVEN_AS_OF, import_maven, slug

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
MAVEN = REPO.parent / "shared" / "datasets" / "maven_crm_sales_opportunities"
DOCS = REPO / "docs" / "guides" / "public-datasets.md"
YEAR = "2017"


def direct_count() -> dict[str, dict]:
    """Per agent, straight from sales_pipeline.csv: deals closed in 2017, won, won revenue."""
    figures = defaultdict(lambda: {"won": 0, "closed": 0, "revenue": Decimal(0)})
    with open(MAVEN / "sales_pipeline.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["deal_stage"] in ("Won", "Lost") and row["close_date"].startswith(YEAR):
                agent = figures[row["sales_agent"]]
                agent["closed"] += 1
                if row["deal_stage"] == "Won":
                    agent["won"] += 1
                    agent["revenue"] += Decimal(row["close_value"])
    return figures


def teams() -> dict[str, tuple[str, str]]:
    with open(MAVEN / "sales_teams.csv", newline="") as handle:
        return {row["sales_agent"]: (row["manager"], row["regional_office"]) for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def maven_warehouse(tmp_path_factory):
    if not (MAVEN / "sales_pipeline.csv").exists():
        pytest.skip(f"the Maven dataset is not at {MAVEN}")
    workdir = tmp_path_factory.mktemp("maven")
    counts = import_maven(MAVEN, workdir / "raw")
    assert counts["opportunities"] == 8800
    run = run_build(workdir / "raw", workdir, as_of=MAVEN_AS_OF)
    assert build_ok(run), describe_run(run)
    from conftest import BuiltWarehouse

    return BuiltWarehouse(database=workdir / "wh.duckdb", raw_dir=workdir / "raw", run=run,
                          target_path=workdir / "target", as_of=MAVEN_AS_OF)


def agents_from_marts(warehouse) -> dict[str, dict]:
    rows = warehouse.query(f"""
        select full_name, sum(won_opportunities), sum(closed_opportunities), sum(bookings_arr),
            count(*), sum(case when is_at_quota then 1 else 0 end)
        from {warehouse.relation('kpi_rep_attainment')}
        where period_start >= date '{YEAR}-01-01' and period_end <= date '{YEAR}-12-31'
        group by full_name
    """)
    return {name: {"won": int(won), "closed": int(closed), "revenue": Decimal(revenue), "quarters": quarters,
                   "at_quota": at_quota}
            for name, won, closed, revenue, quarters, at_quota in rows}


def test_per_agent_2017_revenue_and_win_rate_match_the_source_file(maven_warehouse):
    expected, marts = direct_count(), agents_from_marts(maven_warehouse)
    assert set(marts) == set(teams()), "every agent of sales_teams.csv has rows"
    assert len(expected) == 30 and len(marts) == 35  # 5 agents have no deal
    for agent, figures in marts.items():
        want = expected.get(agent, {"won": 0, "closed": 0, "revenue": Decimal(0)})
        assert (figures["won"], figures["closed"], figures["revenue"]) == (want["won"], want["closed"], want["revenue"]), agent
        assert figures["quarters"] == 4 and figures["at_quota"] == 0  # Maven has no quotas: 0-amount quarters
    total = sum((f["revenue"] for f in expected.values()), Decimal(0))
    assert sum((f["revenue"] for f in marts.values()), Decimal(0)) == total == Decimal(10005534)


def test_managers_and_offices_match_the_source_file(maven_warehouse):
    expected, team_of = direct_count(), teams()
    by_manager, by_office = defaultdict(lambda: [0, 0, Decimal(0)]), defaultdict(lambda: [0, 0, Decimal(0)])
    for agent, figures in expected.items():
        manager, office = team_of[agent]
        for bucket in (by_manager[manager], by_office[office]):
            bucket[0] += figures["won"]
            bucket[1] += figures["closed"]
            bucket[2] += figures["revenue"]
    rows = maven_warehouse.query(f"""
        select teams.rollup_type, coalesce(managers.full_name, teams.rollup_key),
            sum(teams.won_opportunities), sum(teams.closed_opportunities), sum(teams.total_bookings_arr)
        from {maven_warehouse.relation('kpi_team_attainment')} as teams
        left join {maven_warehouse.relation('dim_users')} as managers on teams.manager_id = managers.user_id
        where teams.period_start >= date '{YEAR}-01-01' and teams.period_end <= date '{YEAR}-12-31'
        group by 1, 2
    """)
    got = {(kind, name): [int(won), int(closed), Decimal(revenue)] for kind, name, won, closed, revenue in rows}
    for manager, figures in by_manager.items():
        assert got[("manager_direct", manager)] == figures, manager
        assert got[("manager_tree", manager)] == figures, manager
    for office, figures in by_office.items():
        assert got[("team", office)] == figures, office
    assert {kind for kind, _ in got} == {"team", "manager_direct", "manager_tree"}


def test_the_readme_table_shows_these_figures(maven_warehouse):
    """docs/guides/public-datasets.md's Maven table equals the marts, row by row."""
    marts, team_of = agents_from_marts(maven_warehouse), teams()
    text = DOCS.read_text()
    table = text.split("<!-- maven-2017-agents:start -->")[1].split("<!-- maven-2017-agents:end -->")[0]
    rows = [line for line in table.strip().splitlines() if line.startswith("|")][2:]
    assert len(rows) == len(marts)
    for line in rows:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        agent, office, manager, revenue, won, closed, win_rate = cells
        figures = marts[agent]
        assert (office, manager) == (team_of[agent][1], team_of[agent][0])
        assert Decimal(revenue.replace(",", "")) == figures["revenue"], agent
        assert (int(won), int(closed)) == (figures["won"], figures["closed"]), agent
        expected_rate = "n/a" if figures["closed"] == 0 else f"{100 * figures['won'] / figures['closed']:.1f} %"
        assert win_rate == expected_rate, agent


def test_open_deals_stay_undated_and_are_listed(maven_warehouse):
    """sales_pipeline.csv as shipped: its open deals have no close date, and keep none."""
    with open(MAVEN / "sales_pipeline.csv", newline="") as handle:
        open_deals = {row["opportunity_id"] for row in csv.DictReader(handle)
                      if row["deal_stage"] not in ("Won", "Lost") and not row["close_date"]}
    assert len(open_deals) == 2089
    undated = maven_warehouse.query(f"""
        select opportunity_id, is_open from {maven_warehouse.relation('fct_opportunities')} where close_date is null
    """)
    assert {opportunity for opportunity, _ in undated} == open_deals and all(is_open for _, is_open in undated)
    listed = maven_warehouse.query(f"""
        select record_key from {maven_warehouse.relation('dq_record_issues')}
        where table_name = 'opportunities' and problem_type = 'open_without_close_date'
    """)
    assert {key for (key,) in listed} == open_deals and len(listed) == 2089
    # the engaged ones count in stage conversion: they reached stage 1 (Engaging)
    engaged = maven_warehouse.scalar(f"""
        select count(*) from {maven_warehouse.relation('fct_opportunities')}
        where close_date is null and stage1_reached_at is not null
    """)
    assert engaged > 0


def test_ids_are_stable_slugs():
    assert slug("Mei-Mei Johns") == "mei-mei-johns"
    assert re.fullmatch(r"[a-z0-9-]+", slug("  Acme Corporation "))
