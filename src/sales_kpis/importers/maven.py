"""The Maven Analytics "CRM Sales Opportunities" dataset as raw contract tables.

Source files (``source_dir``): ``sales_pipeline.csv`` (8,800 deals:
opportunity_id, sales_agent, product, account, deal_stage, engage_date,
close_date, close_value), ``accounts.csv``, ``products.csv``,
``sales_teams.csv``.

Mapping (the contract's names on the left)
------------------------------------------
* ``opportunities``: one per deal, all ``new_business`` (Maven has no deal
  types), owned by the sales agent, on the account (deals without an account,
  all still open, go to the account ``unassigned``), ``product_id`` = the
  product (Maven's ``GTXPro`` is the ``GTX Pro`` of products.csv).
  Stages: Prospecting -> ``Prospecting`` (stage 0), Engaging -> ``Discovery``
  (stage 1), Won -> ``Closed Won``, Lost -> ``Closed Lost``. ``amount`` =
  close_value for closed deals (Maven records 0 for every lost deal, so the
  win rate by amount is 100 %); for open deals the product's sales_price, as
  the expected value. ``created_at`` = engage_date; ``close_date`` =
  close_date. Prospecting deals carry no date at all and engaging deals no
  close date: both are dated on the export date (the last date in the file,
  2017-12-31), so they are open at that as-of date. All amounts in USD.
* ``opportunity_stage_history``: ``Discovery`` entered on engage_date (or
  ``Prospecting`` on the export date), then ``Closed Won`` / ``Closed Lost`` on
  close_date.
* ``accounts``: one per account, ``industry`` = sector, ``region`` =
  office_location, ``segment`` by employees: < 1,000 ``SMB``, < 5,000
  ``Mid-Market``, else ``Enterprise``; created at the first engagement.
* ``users``: the sales agents (role ``ae``, team = regional office, managed by
  their manager) and the managers (role ``manager``), hired 2016-01-01.
* ``products``: products.csv (family = series). Leads, subscriptions,
  quotas and targets are empty.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from sales_kpis.importers._tables import write_tables

__all__ = ["EXPORT_DATE", "STAGE_MAP", "import_maven", "segment_of"]

EXPORT_DATE = "2017-12-31"
STAGE_MAP = {"Prospecting": "Prospecting", "Engaging": "Discovery", "Won": "Closed Won", "Lost": "Closed Lost"}
PRODUCT_FIXES = {"GTXPro": "GTX Pro"}
HIRED_ON = "2016-01-01"


def _user_id(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


def segment_of(employees) -> str:
    if pd.isna(employees):
        return "unknown"
    return "SMB" if employees < 1000 else "Mid-Market" if employees < 5000 else "Enterprise"


def import_maven(source_dir: str | Path, out_dir: str | Path) -> dict[str, int]:
    """Write the Maven CRM pipeline as raw contract tables (parquet) into out_dir; returns {table: rows}."""
    source_dir, out_dir = Path(source_dir), Path(out_dir)
    pipeline = pd.read_csv(source_dir / "sales_pipeline.csv")
    accounts = pd.read_csv(source_dir / "accounts.csv")
    products = pd.read_csv(source_dir / "products.csv")
    teams = pd.read_csv(source_dir / "sales_teams.csv")

    unknown_stages = set(pipeline["deal_stage"]) - set(STAGE_MAP)
    if unknown_stages:
        raise ValueError(f"unknown Maven deal stages: {sorted(unknown_stages)}")
    export = pd.Timestamp(EXPORT_DATE)
    pipeline["product_id"] = pipeline["product"].replace(PRODUCT_FIXES)
    pipeline["account_id"] = pipeline["account"].fillna("unassigned")
    pipeline["created_at"] = pd.to_datetime(pipeline["engage_date"]).fillna(export)
    pipeline["close"] = pd.to_datetime(pipeline["close_date"]).fillna(export)
    is_closed = pipeline["deal_stage"].isin(["Won", "Lost"])
    prices = products.set_index("product")["sales_price"]
    pipeline["amount"] = pipeline["close_value"].where(is_closed, pipeline["product_id"].map(prices))

    opportunities = pd.DataFrame({
        "opportunity_id": pipeline["opportunity_id"],
        "account_id": pipeline["account_id"],
        "owner_id": pipeline["sales_agent"].map(_user_id),
        "product_id": pipeline["product_id"],
        "opportunity_type": "new_business",
        "stage_name": pipeline["deal_stage"].map(STAGE_MAP),
        "amount": pipeline["amount"],
        "currency": "USD",
        "created_at": pipeline["created_at"],
        "close_date": pipeline["close"],
        "is_deleted": False,
    })
    first_stage = pd.DataFrame({
        "opportunity_id": pipeline["opportunity_id"],
        "stage_name": pipeline["deal_stage"].map(lambda stage: "Prospecting" if stage == "Prospecting" else "Discovery"),
        "entered_at": pipeline["created_at"],
    })
    closing = pd.DataFrame({
        "opportunity_id": pipeline.loc[is_closed, "opportunity_id"],
        "stage_name": pipeline.loc[is_closed, "deal_stage"].map(STAGE_MAP),
        "entered_at": pipeline.loc[is_closed, "close"],
    })
    history = pd.concat([first_stage, closing], ignore_index=True)

    first_seen = pipeline.groupby("account_id")["created_at"].min()
    account_rows = pd.DataFrame({
        "account_id": accounts["account"],
        "account_name": accounts["account"],
        "industry": accounts["sector"],
        "segment": accounts["employees"].map(segment_of),
        "region": accounts["office_location"],
        "created_at": accounts["account"].map(first_seen).fillna(export),
    })
    unassigned = pd.DataFrame([{"account_id": "unassigned", "account_name": "(no account yet)", "segment": "unknown",
                                "created_at": first_seen.get("unassigned", export)}])
    account_rows = pd.concat([account_rows, unassigned], ignore_index=True)

    agents = pd.DataFrame({
        "user_id": teams["sales_agent"].map(_user_id),
        "full_name": teams["sales_agent"],
        "role": "ae",
        "team": teams["regional_office"],
        "region": teams["regional_office"],
        "manager_id": teams["manager"].map(_user_id),
        "hired_on": HIRED_ON,
    })
    managers = teams.drop_duplicates("manager")
    managers = pd.DataFrame({
        "user_id": managers["manager"].map(_user_id),
        "full_name": managers["manager"],
        "role": "manager",
        "team": managers["regional_office"],
        "region": managers["regional_office"],
        "hired_on": HIRED_ON,
    })
    users = pd.concat([agents, managers], ignore_index=True)
    product_rows = pd.DataFrame({
        "product_id": products["product"],
        "product_name": products["product"],
        "product_family": products["series"],
    })
    return write_tables(out_dir, {
        "users": users, "accounts": account_rows, "opportunities": opportunities,
        "opportunity_stage_history": history, "products": product_rows,
    })
