"""The Olist marketing funnel (Kaggle "Marketing Funnel by Olist") as raw contract tables.

Source files (``source_dir``)
-----------------------------
* ``olist_marketing_qualified_leads_dataset.csv`` - one row per MQL (8,000):
  ``mql_id, first_contact_date, landing_page_id, origin``.
* ``olist_closed_deals_dataset.csv`` - one row per MQL that closed (842):
  ``mql_id, seller_id, sdr_id, sr_id, won_date, business_segment, lead_type,
  business_type, ...``. Every closed deal was won (a seller joined Olist).

Mapping (the contract's names on the left)
------------------------------------------
* ``leads``: one per MQL. ``lead_id`` = mql_id; ``created_at`` = ``mql_at`` =
  first_contact_date (midnight UTC); ``lead_source`` = origin (a blank origin
  becomes null, i.e. ``unknown`` in the project, like Olist's own ``unknown``);
  ``campaign`` = landing_page_id. A closed MQL is converted: ``converted_at`` =
  won_date, ``converted_account_id`` = seller_id, ``converted_opportunity_id``
  = its deal, ``owner_id`` = the SDR. Olist records no SQL step: ``sql_at`` is
  null (SQL-based KPIs are empty; conversion is read as MQL -> won).
* ``opportunities``: one won ``new_business`` deal per closed MQL
  (``opportunity_id`` = ``deal_<mql_id>``), on the seller's account, owned by
  the SR (``owner_id``), sourced by the SDR (``sourced_by_id``), stage
  ``Closed Won``, ``created_at`` = the lead's first contact, ``close_date`` =
  won_date. Olist has no deal value: ``amount`` and ``currency`` are null (0 in
  the reporting currency). One deal was won two days before its first contact:
  it is delivered as such; the project's record-level rule (close before
  creation) repairs it and lists it in ``dq_record_issues``.
* ``opportunity_stage_history``: each deal entered ``Closed Won`` at won_date
  (the won stage reaches every stage, so stage 1 and 2 are reached then).
* ``accounts``: one per seller; ``segment`` = business_segment, ``industry`` =
  business_type, ``owner_id`` = the SR, ``created_at`` = won_date.
* ``users``: the SDRs and SRs named by the deals. 13 people appear in both
  columns: each gets the role they play most (ties: ``sdr``). ``hired_on`` =
  the first day they appear in the data (first contact of their first lead);
  nobody leaves.
* ``subscriptions``, ``quotas``, ``targets``: empty, with the contract's columns.
  The optional tables are not written (the shipped ``stages`` seed applies).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sales_kpis.contract import TABLES, arrow_type

__all__ = ["MQL_FILE", "DEALS_FILE", "import_olist", "latest_event_date"]

MQL_FILE = "olist_marketing_qualified_leads_dataset.csv"
DEALS_FILE = "olist_closed_deals_dataset.csv"
WON_STAGE = "Closed Won"



def _read(source_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    mqls = pd.read_csv(source_dir / MQL_FILE, dtype=str, keep_default_na=False, na_values=[""])
    deals = pd.read_csv(source_dir / DEALS_FILE, dtype=str, keep_default_na=False, na_values=[""])
    mqls["first_contact_at"] = pd.to_datetime(mqls["first_contact_date"], format="%Y-%m-%d")
    deals["won_at"] = pd.to_datetime(deals["won_date"], format="%Y-%m-%d %H:%M:%S")
    unknown = set(deals["mql_id"]) - set(mqls["mql_id"])
    if unknown:
        raise ValueError(f"{len(unknown)} closed deals name an MQL that is not in {MQL_FILE}, e.g. {sorted(unknown)[:3]}")
    return mqls, deals


def latest_event_date(source_dir: str | Path) -> str:
    """The last day with an event in the data (ISO): a natural as-of date for a build."""
    mqls, deals = _read(Path(source_dir))
    return max(mqls["first_contact_at"].max(), deals["won_at"].max()).strftime("%Y-%m-%d")


def _table(name: str, frame: pd.DataFrame) -> pa.Table:
    """A contract table with the contract's columns in order and typed (empty frames too)."""
    columns = TABLES[name].columns
    arrays = []
    for column in columns:
        values = frame[column.name] if column.name in frame else pd.Series([None] * len(frame), dtype=object)
        kind = arrow_type(column.type)
        if column.type == "date":
            values = pd.to_datetime(values).dt.date
        arrays.append(pa.array(values.astype(object).where(values.notna(), None).tolist(), type=kind))
    return pa.Table.from_arrays(arrays, names=[c.name for c in columns])


def import_olist(source_dir: str | Path, out_dir: str | Path) -> dict[str, int]:
    """Write the Olist marketing funnel as raw contract tables (parquet) into out_dir; returns {table: rows}."""
    source_dir, out_dir = Path(source_dir), Path(out_dir)
    mqls, deals = _read(source_dir)
    deals = deals.merge(mqls[["mql_id", "first_contact_at"]], on="mql_id", how="left")
    deals["opportunity_id"] = "deal_" + deals["mql_id"]

    leads = mqls.merge(deals[["mql_id", "seller_id", "sdr_id", "won_at", "opportunity_id"]], on="mql_id", how="left")
    leads = pd.DataFrame({
        "lead_id": leads["mql_id"],
        "created_at": leads["first_contact_at"],
        "lead_source": leads["origin"],
        "campaign": leads["landing_page_id"],
        "owner_id": leads["sdr_id"],
        "mql_at": leads["first_contact_at"],
        "converted_at": leads["won_at"],
        "converted_account_id": leads["seller_id"],
        "converted_opportunity_id": leads["opportunity_id"],
        "is_deleted": False,
    })

    opportunities = pd.DataFrame({
        "opportunity_id": deals["opportunity_id"],
        "account_id": deals["seller_id"],
        "owner_id": deals["sr_id"],
        "sourced_by_id": deals["sdr_id"],
        "lead_id": deals["mql_id"],
        "opportunity_type": "new_business",
        "stage_name": WON_STAGE,
        "created_at": deals["first_contact_at"],
        "close_date": deals["won_at"].dt.normalize(),
        "updated_at": deals["won_at"],
        "is_deleted": False,
    })

    history = pd.DataFrame({
        "opportunity_id": deals["opportunity_id"],
        "stage_name": WON_STAGE,
        "entered_at": deals["won_at"],
    })

    accounts = pd.DataFrame({
        "account_id": deals["seller_id"],
        "account_name": "seller " + deals["seller_id"].str[:8],
        "industry": deals["business_type"],
        "segment": deals["business_segment"],
        "owner_id": deals["sr_id"],
        "created_at": deals["won_at"],
    })

    roles = pd.concat([
        pd.DataFrame({"user_id": deals["sdr_id"], "role": "sdr", "seen_at": deals["first_contact_at"]}),
        pd.DataFrame({"user_id": deals["sr_id"], "role": "ae", "seen_at": deals["first_contact_at"]}),
    ])
    counts = roles.groupby(["user_id", "role"]).size().unstack(fill_value=0)
    counts = counts.reindex(columns=["sdr", "ae"], fill_value=0)
    user_role = (counts["sdr"] >= counts["ae"]).map({True: "sdr", False: "ae"})
    first_seen = roles.groupby("user_id")["seen_at"].min()
    users = pd.DataFrame({"user_id": user_role.index})
    users["role"] = users["user_id"].map(user_role)
    users["full_name"] = users["role"].map({"sdr": "SDR ", "ae": "SR "}) + users["user_id"].str[:8]
    users["team"] = users["role"].map({"sdr": "Olist SDR", "ae": "Olist Sales Representative"})
    users["hired_on"] = users["user_id"].map(first_seen).dt.normalize()

    tables = {
        "users": users,
        "accounts": accounts,
        "leads": leads,
        "opportunities": opportunities,
        "opportunity_stage_history": history,
        "subscriptions": pd.DataFrame(),
        "quotas": pd.DataFrame(),
        "targets": pd.DataFrame(),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, frame in tables.items():
        table = _table(name, frame)
        pq.write_table(table, out_dir / f"{name}.parquet")
        written[name] = table.num_rows
    return written
