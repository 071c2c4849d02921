"""dbt Labs' mrr-playbook sample (``subscription_periods.csv``) as raw contract subscriptions.

Source: ``subscription_periods.csv`` (subscription_id, customer_id,
start_date, end_date, monthly_amount), every date a month start, end_date
exclusive (the playbook counts a month when start_date <= month < end_date).

Mapping: one subscription per row, ``account_id`` = ``C<customer_id>``,
``arr`` = 12 x monthly_amount (USD), ``starts_on`` / ``ends_on`` = start_date
/ end_date. One account per customer (segment ``all``). Every other required
table is empty. Because every date is a month start, "active on the month's
last day" (ours) and "active in the month" (the playbook's) select the same
months; our movements are the playbook's x 12 (ARR, not MRR), named
expansion / contraction for its upgrade / downgrade.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sales_kpis.importers._tables import write_tables

__all__ = ["import_mrr_playbook"]


def import_mrr_playbook(source_dir: str | Path, out_dir: str | Path) -> dict[str, int]:
    """Write the playbook's subscription periods as raw contract tables (parquet) into out_dir; returns {table: rows}."""
    source_dir, out_dir = Path(source_dir), Path(out_dir)
    periods = pd.read_csv(source_dir / "subscription_periods.csv")
    subscriptions = pd.DataFrame({
        "subscription_id": periods["subscription_id"].astype(str),
        "account_id": "C" + periods["customer_id"].astype(str),
        "starts_on": periods["start_date"],
        "ends_on": periods["end_date"],
        "arr": 12 * periods["monthly_amount"].astype(float),
        "currency": "USD",
    })
    first_start = periods.groupby("customer_id")["start_date"].min()
    accounts = pd.DataFrame({
        "account_id": "C" + first_start.index.astype(str),
        "account_name": "customer " + first_start.index.astype(str),
        "segment": "all",
        "created_at": pd.to_datetime(first_start.values),
    })
    return write_tables(out_dir, {"accounts": accounts, "subscriptions": subscriptions})
