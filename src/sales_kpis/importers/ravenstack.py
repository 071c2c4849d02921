"""RavenStack (a synthetic SaaS dataset by Rivalytics) subscriptions as raw contract tables.

Source files: ``ravenstack_subscriptions.csv`` (subscription_id, account_id,
start_date, end_date, plan_tier, seats, mrr_amount, arr_amount, is_trial,
...) and ``ravenstack_accounts.csv`` (account_id, account_name, industry,
country, signup_date, plan_tier, ...).

Mapping: one subscription per row, ``arr`` = arr_amount (USD; trials carry 0
and so never count as ARR), ``product_id`` = plan_tier, ``starts_on`` =
start_date, ``ends_on`` = end_date (taken as the first day no longer active;
null = still active). Accounts: ``segment`` = the account's plan_tier (Basic,
Pro, Enterprise), ``region`` = country, ``created_at`` = signup_date.
Products: the plan tiers. Every other required table is empty.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sales_kpis.importers._tables import write_tables

__all__ = ["import_ravenstack"]


def import_ravenstack(source_dir: str | Path, out_dir: str | Path) -> dict[str, int]:
    """Write the RavenStack subscriptions as raw contract tables (parquet) into out_dir; returns {table: rows}."""
    source_dir, out_dir = Path(source_dir), Path(out_dir)
    subs = pd.read_csv(source_dir / "ravenstack_subscriptions.csv")
    accounts = pd.read_csv(source_dir / "ravenstack_accounts.csv")
    subscriptions = pd.DataFrame({
        "subscription_id": subs["subscription_id"],
        "account_id": subs["account_id"],
        "product_id": subs["plan_tier"],
        "starts_on": subs["start_date"],
        "ends_on": subs["end_date"],
        "arr": subs["arr_amount"].astype(float),
        "currency": "USD",
    })
    account_rows = pd.DataFrame({
        "account_id": accounts["account_id"],
        "account_name": accounts["account_name"],
        "industry": accounts["industry"],
        "segment": accounts["plan_tier"],
        "region": accounts["country"],
        "created_at": pd.to_datetime(accounts["signup_date"]),
    })
    tiers = sorted(subs["plan_tier"].dropna().unique())
    products = pd.DataFrame({"product_id": tiers, "product_name": tiers, "product_family": "plan"})
    return write_tables(out_dir, {"accounts": account_rows, "subscriptions": subscriptions, "products": products})
