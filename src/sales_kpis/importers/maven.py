"""Maven Analytics' "CRM Sales Opportunities" dataset as raw contract tables.

A public dataset of the Maven Analytics Data Playground (``accounts.csv``,
``products.csv``, ``sales_teams.csv``, ``sales_pipeline.csv``): 8,800 B2B
deals (2016-10 .. 2017-12) of 35 sales agents under 6 managers in 3 regional
offices. This importer maps it onto the raw-data contract so the whole
project, and the individual-performance marts in particular, run on it.

Mapping (what the source has, and what it does not):

- ``sales_teams.csv`` -> ``users``: every agent is a user with role ``ae``;
  every manager a user with role ``manager``; agents' ``manager_id`` links to
  their manager; ``regional_office`` is both ``region`` and ``team`` (so team
  roll-ups are offices and manager roll-ups are managers). Maven has no hire
  dates, OTE or ramp: ``hired_on`` is January 1 of the first year with deals
  (nobody ramps in the data), ``annual_ote`` and ``ramp_months`` are null.
  IDs are slugs of the names (``agent-moses-frase``, ``manager-dustin-brinkmann``).
- ``accounts.csv`` -> ``accounts``: sector -> industry, office_location ->
  region; segment from employees (< 1,000 SMB, < 5,000 Mid-Market, else
  Enterprise). Deals without an account (open ones only) belong to one
  placeholder account ``maven-no-account``.
- ``products.csv`` -> ``products`` (series -> family; no launch dates). The
  pipeline spells one product ``GTXPro``: it is ``GTX Pro``.
- ``sales_pipeline.csv`` -> ``opportunities``: every deal is ``new_business``
  in USD, owned by its agent, amount = close_value (Won: the revenue; Lost:
  0; open: none). created_at = engage_date; close_date = close_date. Open
  deals have no close date in the source and keep none (the contract allows
  it: they count in pipeline creation and stage conversion, stay out of
  everything dated by close date, and are listed in dq_record_issues as
  open_without_close_date). A Prospecting deal has no engage_date either: it
  is taken as created on the data's last close date (created_at is required).
- ``opportunity_stage_history``: Engaging entered on engage_date, Won / Lost on
  close_date; a ``stages`` file gives Maven's own funnel (Prospecting 0,
  Engaging 1, Won 2, Lost).
- ``quotas``: Maven has none. One row per agent and calendar quarter of the
  data's close dates with ``quota_amount`` (default 0: the quota periods
  exist, so attainment tables have a row per agent and quarter; attainment
  is null and nobody is at quota).
- ``leads``, ``subscriptions``, ``targets``: empty (the tables exist, typed).

As-of date for a build: :data:`MAVEN_AS_OF` (the last close date).

The revenue marts' dataset test (tests/test_revenue_datasets.py) and the
individual-performance test (tests/test_maven_performance.py) both use this
importer.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from pathlib import Path

import pandas as pd

from sales_kpis import contract

MAVEN_AS_OF = "2017-12-31"
PRODUCT_ALIASES = {"GTXPro": "GTX Pro"}
NO_ACCOUNT = "maven-no-account"
MAVEN_STAGES = [
    # stage_name, stage_number, is_closed, is_won, forecast_probability
    ("Prospecting", 0, False, False, 0.1),
    ("Engaging", 1, False, False, 0.5),
    ("Won", 2, True, True, 1.0),
    ("Lost", None, True, False, 0.0),
]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(text).strip().lower()).strip("-")


def segment_of(employees) -> str:
    if pd.isna(employees):
        return "unknown"
    return "SMB" if employees < 1000 else "Mid-Market" if employees < 5000 else "Enterprise"


def _quarter_starts(first: dt.date, last: dt.date) -> list[dt.date]:
    quarters, current = [], dt.date(first.year, 3 * ((first.month - 1) // 3) + 1, 1)
    while current <= last:
        quarters.append(current)
        month = current.month + 3
        current = dt.date(current.year + (month > 12), (month - 1) % 12 + 1, 1)
    return quarters


def _quarter_end(start: dt.date) -> dt.date:
    month = start.month + 3
    following = dt.date(start.year + (month > 12), (month - 1) % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def _write(name: str, rows: dict[str, list] | pd.DataFrame, out: Path, fmt: str) -> int:
    """A contract table with the contract's columns, in its logical types."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows)
    columns = contract.TABLES[name].columns if name in contract.TABLES else None
    if columns is None:
        raise KeyError(name)
    arrays = []
    for column in columns:
        values = frame[column.name].tolist() if column.name in frame else [None] * len(frame)
        values = [None if (value is None or (not isinstance(value, str) and pd.isna(value))) else value for value in values]
        arrays.append(pa.array(values, type=contract.arrow_type(column.type)))
    table = pa.Table.from_arrays(arrays, names=[column.name for column in columns])
    if fmt == "parquet":
        pq.write_table(table, out / f"{name}.parquet")
    else:
        pacsv.write_csv(table, out / f"{name}.csv")
    return table.num_rows


def import_maven(src: str | Path, out: str | Path, fmt: str = "parquet",
                        quota_amount: float = 0.0) -> dict[str, int]:
    """Writes the contract tables for the Maven dataset in src to out; returns {table: rows}."""
    src, out = Path(src), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    teams = pd.read_csv(src / "sales_teams.csv")
    accounts = pd.read_csv(src / "accounts.csv")
    products = pd.read_csv(src / "products.csv")
    pipeline = pd.read_csv(src / "sales_pipeline.csv", parse_dates=["engage_date", "close_date"])

    first_day = min(pipeline["engage_date"].min(), pipeline["close_date"].min()).date()
    last_day = pipeline["close_date"].max().date()
    hired_on = dt.date(first_day.year, 1, 1)

    # users: managers, then agents
    offices = teams.groupby("manager")["regional_office"].first()
    users = defaultdict(list)
    for manager, office in offices.items():
        for key, value in [("user_id", f"manager-{slug(manager)}"), ("full_name", manager), ("role", "manager"),
                           ("team", office), ("region", office), ("manager_id", None), ("hired_on", hired_on)]:
            users[key].append(value)
    for agent in teams.itertuples(index=False):
        for key, value in [("user_id", f"agent-{slug(agent.sales_agent)}"), ("full_name", agent.sales_agent),
                           ("role", "ae"), ("team", agent.regional_office), ("region", agent.regional_office),
                           ("manager_id", f"manager-{slug(agent.manager)}"), ("hired_on", hired_on)]:
            users[key].append(value)
    known_agents = set(teams["sales_agent"])
    unknown = sorted(set(pipeline["sales_agent"]) - known_agents)
    if unknown:
        raise ValueError(f"agents in sales_pipeline.csv but not in sales_teams.csv: {', '.join(unknown)}")

    account_rows = {
        "account_id": [slug(name) for name in accounts["account"]] + [NO_ACCOUNT],
        "account_name": list(accounts["account"]) + ["(no account)"],
        "industry": list(accounts["sector"]) + [None],
        "segment": [segment_of(e) for e in accounts["employees"]] + ["unknown"],
        "region": list(accounts["office_location"]) + [None],
        "created_at": [pd.Timestamp(hired_on)] * (len(accounts) + 1),
    }

    product_rows = {
        "product_id": [slug(name) for name in products["product"]],
        "product_name": list(products["product"]),
        "product_family": list(products["series"]),
    }

    stage = pipeline["deal_stage"]
    closed = stage.isin(["Won", "Lost"])
    created = pipeline["engage_date"].fillna(pd.Timestamp(last_day))
    opportunities = pd.DataFrame({
        "opportunity_id": pipeline["opportunity_id"],
        "account_id": [slug(a) if isinstance(a, str) else NO_ACCOUNT for a in pipeline["account"]],
        "owner_id": [f"agent-{slug(a)}" for a in pipeline["sales_agent"]],
        "product_id": [slug(PRODUCT_ALIASES.get(p, p)) for p in pipeline["product"]],
        "opportunity_type": "new_business",
        "stage_name": stage,
        "amount": pipeline["close_value"].where(closed),
        "currency": "USD",
        "created_at": created,
        "close_date": [None if pd.isna(day) else day.date() for day in pipeline["close_date"]],
        "is_deleted": False,
    })

    history = defaultdict(list)
    for row in pipeline.itertuples(index=False):
        if pd.notna(row.engage_date):
            history["opportunity_id"].append(row.opportunity_id)
            history["stage_name"].append("Engaging")
            history["entered_at"].append(row.engage_date)
        if row.deal_stage in ("Won", "Lost"):
            history["opportunity_id"].append(row.opportunity_id)
            history["stage_name"].append(row.deal_stage)
            history["entered_at"].append(row.close_date)

    closes = pipeline["close_date"].dropna()
    quotas = defaultdict(list)
    for agent in teams["sales_agent"]:
        for start in _quarter_starts(closes.min().date(), closes.max().date()):
            quotas["user_id"].append(f"agent-{slug(agent)}")
            quotas["period_start"].append(start)
            quotas["period_end"].append(_quarter_end(start))
            quotas["quota_amount"].append(float(quota_amount))

    stages = pd.DataFrame(MAVEN_STAGES, columns=["stage_name", "stage_number", "is_closed", "is_won", "forecast_probability"])
    stages["stage_number"] = stages["stage_number"].astype("Int64")

    counts = {
        "users": _write("users", users, out, fmt),
        "accounts": _write("accounts", account_rows, out, fmt),
        "products": _write("products", product_rows, out, fmt),
        "opportunities": _write("opportunities", opportunities, out, fmt),
        "opportunity_stage_history": _write("opportunity_stage_history", history, out, fmt),
        "quotas": _write("quotas", quotas, out, fmt),
        "stages": _write("stages", stages, out, fmt),
    }
    for empty in ("leads", "subscriptions", "targets"):
        counts[empty] = _write(empty, {}, out, fmt)
    return counts
