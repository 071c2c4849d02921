"""A canonical raw dataset rewritten in the shape a CRM connector syncs it.

``to_salesforce(canonical_raw_dir, out_dir)`` and ``to_hubspot(canonical_raw_dir,
out_dir)`` turn the contract tables (e.g. written by :func:`sales_kpis.generate.generate`)
into the tables Fivetran writes for Salesforce and HubSpot, so that the source
adapters (``models/staging/salesforce``, ``models/staging/hubspot``) can be tested
against a company whose canonical marts are known: built with
``crm_source: salesforce`` / ``hubspot``, a rendition must give the same marts as
the canonical data (HubSpot ids are numbers: :attr:`Rendition.id_maps` translates).

Each rendition is faithful (every canonical fact is stored where the CRM stores
it, so the adapter can derive it back) and exercises the connector's habits:

* Fivetran column names and types: snake_case by default; ``variant="mixed"``
  writes some Salesforce tables with Salesforce's own names (``ConvertedOpportunityId``,
  ``MQL_Date__c``, a file named ``OpportunityLineItem``) and one table as CSV.
* rows the adapter must drop: soft-deleted records (``is_deleted``,
  ``_fivetran_deleted``), stale history-mode versions (``_fivetran_active = false``)
  with different values, stage-history rows that enter no stage (amount changes,
  repeated stages), deleted line items and secondary associations.
* what the CRM has no object for stays canonical: subscriptions, quotas, targets,
  activities (and for HubSpot products, exchange rates and the users' HR
  attributes, as a ``users`` table of overrides), with HubSpot keys translated.

Where the CRM cannot hold a canonical fact in a standard field, the rendition
uses the field the adapter reads by default (documented in docs/guides/crm-adapters.md):
Salesforce custom fields (``SDR__c``, ``Lead__c``, ``MQL_Date__c``, ...), HubSpot
custom properties (``property_lead_source``, ``property_sdr_owner_id``,
``property_lead_contact_id``) and ``hs_lead_status`` history for disqualification.
A canonical fact the shape cannot represent raises :class:`NotRepresentable`.

Test fixtures, not a converter for production data: pandas, in memory.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sales_kpis import contract

#: Contract tables neither CRM holds: copied as canonical tables.
CANONICAL_TABLES = ("subscriptions", "quotas", "targets", "activities")

SALESFORCE_TYPE_LABELS = {
    "new_business": "New Business",
    "expansion": "Existing Business - Upgrade",
    "renewal": "Renewal",
}
HUBSPOT_DEAL_TYPES = {"new_business": "newbusiness", "expansion": "existingbusiness", "renewal": "renewal"}
HUBSPOT_ANALYTICS_SOURCES = {
    "inbound": "ORGANIC_SEARCH",
    "outbound": "OFFLINE",
    "partner": "REFERRALS",
    "event": "OFFLINE",
    "referral": "REFERRALS",
}
FAR_FUTURE = pd.Timestamp("9999-12-31 23:59:59")


class NotRepresentable(ValueError):
    """A canonical fact the CRM's shape cannot hold (the rendition would lose it)."""


@dataclass
class Rendition:
    """What a rendition wrote: {table: rows} and, for HubSpot, {entity: {canonical id: CRM id}}."""

    source: str
    out_dir: Path
    counts: dict[str, int] = field(default_factory=dict)
    id_maps: dict[str, dict[str, str]] = field(default_factory=dict)


# --------------------------------------------------------------------------- helpers


def read_canonical(raw_dir: Path | str) -> dict[str, pd.DataFrame]:
    """Every contract table found in raw_dir (parquet or csv) as a DataFrame."""
    raw_dir = Path(raw_dir)
    tables: dict[str, pd.DataFrame] = {}
    for name in contract.TABLES:
        parquet, csv = raw_dir / f"{name}.parquet", raw_dir / f"{name}.csv"
        if parquet.exists():
            tables[name] = pd.read_parquet(parquet)
        elif csv.exists():
            tables[name] = pd.read_csv(csv, dtype=str, keep_default_na=False, na_values=[""])
    missing = [name for name, table in contract.TABLES.items() if table.required and name not in tables]
    if missing:
        raise FileNotFoundError(f"{raw_dir}: missing required table(s) {', '.join(missing)}")
    return tables


def stages_table(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The funnel: the dataset's own stages table, else the project's default stages."""
    if "stages" in tables:
        return tables["stages"]
    return pd.DataFrame(contract.DEFAULT_STAGES,
                        columns=["stage_name", "stage_number", "is_closed", "is_won", "forecast_probability"])


SALESFORCE_FORECAST_CATEGORIES = {  # ForecastCategoryName, ForecastCategory (the API value)
    "pipeline": ("Pipeline", "Pipeline"),
    "best_case": ("Best Case", "BestCase"),
    "commit": ("Commit", "Forecast"),
    "closed": ("Closed", "Closed"),
    "omitted": ("Omitted", "Omitted"),
}
HUBSPOT_FORECAST_CATEGORIES = {"pipeline": "PIPELINE", "best_case": "BEST_CASE", "commit": "COMMIT",
                               "closed": "CLOSED", "omitted": "OMIT"}


def stage_forecast_categories(stages: pd.DataFrame) -> dict[str, str]:
    """{stage_name: forecast category}: the stages table's forecast_category, else derived from the stage
    (docs/spec/kpi_definitions.md, section 7: won closed, lost and stage 0 omitted, probability >= 0.7 commit,
    >= 0.4 best_case, else pipeline)."""
    categories = {}
    for row in stages.to_dict("records"):
        given = row.get("forecast_category")
        if isinstance(given, str) and given.strip():
            categories[row["stage_name"]] = given.strip().lower()
            continue
        closed, won = str(row["is_closed"]).lower() == "true", str(row["is_won"]).lower() == "true"
        number, probability = row["stage_number"], float(row["forecast_probability"])
        if won:
            categories[row["stage_name"]] = "closed"
        elif closed or (pd.notna(number) and str(number) != "" and int(float(number)) == 0):
            categories[row["stage_name"]] = "omitted"
        else:
            categories[row["stage_name"]] = ("commit" if probability >= 0.7 else "best_case" if probability >= 0.4
                                             else "pipeline")
    return categories


def _close_date_history(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The canonical opportunity_history (empty with its columns when the dataset has none), sorted."""
    if "opportunity_history" not in tables:
        return pd.DataFrame(columns=["opportunity_id", "changed_at", "close_date", "amount", "forecast_category"])
    history = tables["opportunity_history"].copy()
    history["changed_at"] = _timestamp(history["changed_at"])
    history["close_date"] = pd.to_datetime(history["close_date"])
    return history.sort_values(["opportunity_id", "changed_at"], kind="stable").reset_index(drop=True)


def _is_true(series: pd.Series) -> pd.Series:
    return series.astype("boolean").fillna(False).astype(bool)


def _pick(frame: pd.DataFrame, **columns: str) -> dict[str, pd.Series]:
    """{new: frame[old]} for each new="old": CRM columns that copy canonical ones."""
    return {new: frame[old] for new, old in columns.items()}


def _timestamp(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series)


def _camel(name: str) -> str:
    """Salesforce's API name for a Fivetran snake_case column (custom fields end in __c)."""
    if name.startswith("_fivetran"):
        return name
    custom = name.endswith("_c")
    base = name[:-2] if custom else name
    words = base.split("_")
    if custom:
        return "_".join(word.upper() if word in {"mql", "sql", "ote", "sdr"} else word.capitalize()
                        for word in words) + "__c"
    return "".join(word.capitalize() for word in words)


def _write(frame: pd.DataFrame, out_dir: Path, name: str, fmt: str, counts: dict[str, int],
           camel: bool = False, file_name: str | None = None) -> None:
    if camel:
        frame = frame.rename(columns={column: _camel(column) for column in frame.columns})
    path = out_dir / f"{file_name or name}.{fmt}"
    if fmt == "parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False, date_format="%Y-%m-%d %H:%M:%S")
    counts[name] = len(frame)


def _copy_canonical(tables: dict[str, pd.DataFrame], out_dir: Path, names: tuple[str, ...],
                    counts: dict[str, int]) -> None:
    for name in names:
        if name in tables:
            tables[name].to_parquet(out_dir / f"{name}.parquet", index=False)
            counts[name] = len(tables[name])


def _prepare(out_dir: Path | str) -> Path:
    out_dir = Path(out_dir)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    return out_dir


def _sample(frame: pd.DataFrame, fraction: float, rng: np.random.Generator, minimum: int = 1) -> pd.DataFrame:
    if frame.empty:
        return frame
    count = min(len(frame), max(minimum, int(len(frame) * fraction)))
    return frame.iloc[np.sort(rng.choice(len(frame), size=count, replace=False))]


def _stale_versions(frame: pd.DataFrame, changes: dict[str, object], rng: np.random.Generator,
                    fraction: float = 0.05) -> pd.DataFrame:
    """Older history-mode versions of some rows (_fivetran_active false) with other values."""
    stale = _sample(frame, fraction, rng).copy()
    for column, value in changes.items():
        stale[column] = value
    stale["_fivetran_active"] = False
    return stale


def _lead_of_conversion(leads: pd.DataFrame) -> pd.Series:
    """{opportunity_id: lead_id}: the (smallest) lead whose converted_opportunity_id names the opportunity."""
    converted = leads.dropna(subset=["converted_opportunity_id"])
    return converted.groupby("converted_opportunity_id")["lead_id"].min()


# --------------------------------------------------------------------------- Salesforce


def _salesforce_role_name(user: pd.Series, has_manager: bool) -> str:
    team = user["team"] if isinstance(user["team"], str) else ""
    if user["role"] == "sdr":
        return team if "SDR" in team else "SDR"
    if user["role"] == "ae":
        return team.replace("AE", "Account Executive") if "AE" in team else "Account Executive"
    if user["role"] == "am":
        return "Account Manager"
    if user["role"] == "manager":
        return f"{team} Manager" if has_manager else "VP Sales"
    return f"{team} Analyst" if team else "Sales Operations"


def to_salesforce(canonical_raw_dir: Path | str, out_dir: Path | str, variant: str = "mixed",
                  seed: int = 0) -> Rendition:
    """Write the canonical dataset as Fivetran's Salesforce tables (plus the canonical tables Salesforce lacks).

    variant: "snake" (Fivetran's default names, parquet), or "mixed" (also
    Salesforce's own camelCase names for lead, user, opportunity_history and
    OpportunityLineItem, and the account table as CSV).
    """
    if variant not in {"snake", "mixed"}:
        raise ValueError("variant must be snake or mixed")
    rng = np.random.default_rng(seed)
    tables = read_canonical(canonical_raw_dir)
    out_dir = _prepare(out_dir)
    rendition = Rendition("salesforce", out_dir)
    counts = rendition.counts
    mixed = variant == "mixed"
    synced = pd.Timestamp("2026-11-01 02:00:00")
    stages = stages_table(tables).set_index("stage_name")

    # user_role and user ------------------------------------------------------------
    users = tables["users"].copy()
    has_manager = users["manager_id"].notna()
    users["role_name"] = [_salesforce_role_name(user, bool(manager)) for (_, user), manager
                          in zip(users.iterrows(), has_manager)]
    role_names = sorted(users["role_name"].unique())
    role_ids = {name: f"00E{index:015d}" for index, name in enumerate(role_names, start=1)}
    user_role = pd.DataFrame({
        "id": [role_ids[name] for name in role_names],
        "name": role_names,
        "developer_name": [name.replace(" ", "_") for name in role_names],
        "parent_role_id": None,
        "_fivetran_deleted": False,
        "_fivetran_active": True,
        "_fivetran_synced": synced,
    })
    _write(user_role, out_dir, "user_role", "parquet", counts)

    names = users["full_name"].fillna("").str.split(" ", n=1, expand=True).reindex(columns=[0, 1])
    hired = pd.to_datetime(users["hired_on"])
    user = pd.DataFrame({
        **_pick(users, id="user_id", name="full_name"),
        "first_name": names[0],
        "last_name": names[1],
        "email": users["email"],
        "user_role_id": users["role_name"].map(role_ids),
        **_pick(users, manager_id="manager_id", department="team", segment_c="segment", region_c="region",
                hired_on_c="hired_on", left_on_c="left_on", annual_ote_c="annual_ote",
                ramp_months_c="ramp_months"),
        "is_active": users["left_on"].isna(),
        "created_date": hired - pd.Timedelta(days=7),
        "_fivetran_deleted": False,
        "_fivetran_active": True,
        "_fivetran_synced": synced,
    })
    # a user removed from Salesforce, and older versions with another department
    gone = user.iloc[[0]].assign(id="005DELETED000000001", name="Removed User", _fivetran_deleted=True)
    stale = _stale_versions(user, {"department": "Former Team"}, rng, 0.1)
    _write(pd.concat([user, gone, stale], ignore_index=True), out_dir, "user", "parquet", counts, camel=mixed)

    # account -----------------------------------------------------------------------
    accounts = tables["accounts"]
    account = pd.DataFrame({
        **_pick(accounts, id="account_id", name="account_name", industry="industry", segment_c="segment",
                region_c="region", owner_id="owner_id"),
        "created_date": _timestamp(accounts["created_at"]),
        "type": "Customer",
        "is_deleted": False,
        "_fivetran_active": True,
        "_fivetran_synced": synced,
    })
    deleted_accounts = _sample(account, 0.02, rng, 2).copy()
    deleted_accounts["id"] = [f"001DELETED{index:08d}" for index in range(len(deleted_accounts))]
    deleted_accounts["is_deleted"] = True
    stale = _stale_versions(account, {"name": "Old Name Ltd", "segment_c": "Enterprise"}, rng)
    _write(pd.concat([account, deleted_accounts, stale], ignore_index=True), out_dir, "account",
           "csv" if mixed else "parquet", counts)

    # opportunity ---------------------------------------------------------------------
    leads = tables["leads"]
    opportunities = tables["opportunities"].copy()
    conversion_lead = _lead_of_conversion(leads)
    derived_lead = opportunities["opportunity_id"].map(conversion_lead)
    unrepresentable = opportunities["lead_id"].isna() & derived_lead.notna()
    if unrepresentable.any():
        raise NotRepresentable(
            "opportunities with no lead_id although a lead converted into them: "
            + ", ".join(opportunities.loc[unrepresentable, "opportunity_id"].head(5)))
    # Lead__c only where the conversion link does not already say it
    lead_field = opportunities["lead_id"].where(opportunities["lead_id"] != derived_lead)
    stage_of = opportunities["stage_name"]
    category_of = stage_of.map(stage_forecast_categories(stages_table(tables)))
    # a few categories overridden by hand (in well-filled stages): the stage's category is the most common one
    overridden = pd.Series(rng.random(len(opportunities)) < 0.03, index=opportunities.index) \
        & (stage_of.map(stage_of.value_counts()) >= 10)
    category_name = category_of.map(lambda category: SALESFORCE_FORECAST_CATEGORIES[category][0]).where(
        ~overridden, "Omitted")
    opportunity = pd.DataFrame({
        **_pick(opportunities, id="opportunity_id", account_id="account_id", owner_id="owner_id",
                sdr_c="sourced_by_id"),
        "lead_c": lead_field,
        "name": opportunities["opportunity_id"] + " deal",
        "type": opportunities["opportunity_type"].map(SALESFORCE_TYPE_LABELS),
        "stage_name": stage_of,
        **_pick(opportunities, amount="amount", currency_iso_code="currency"),
        "probability": stage_of.map(stages["forecast_probability"]).astype(float) * 100,
        "forecast_category_name": category_name,
        "is_closed": stage_of.map(stages["is_closed"]).astype(bool),
        "is_won": stage_of.map(stages["is_won"]).astype(bool),
        "created_date": _timestamp(opportunities["created_at"]),
        "close_date": pd.to_datetime(opportunities["close_date"]),
        "last_modified_date": _timestamp(opportunities["updated_at"]),
        "is_deleted": _is_true(opportunities["is_deleted"]),
        "_fivetran_active": True,
        "_fivetran_synced": synced,
    })
    stale = _stale_versions(opportunity, {"stage_name": "Prospecting", "amount": 1.0, "type": "Renewal"}, rng)
    _write(pd.concat([opportunity, stale], ignore_index=True), out_dir, "opportunity", "parquet", counts)

    # lead ----------------------------------------------------------------------------
    converted_at = _timestamp(leads["converted_at"])
    _check_salesforce_conversions(leads, opportunities, lead_field, converted_at)
    lead = pd.DataFrame({
        "id": leads["lead_id"],
        "created_date": _timestamp(leads["created_at"]),
        "lead_source": leads["lead_source"].str.title(),
        **_pick(leads, campaign_c="campaign", owner_id="owner_id"),
        "mql_date_c": _timestamp(leads["mql_at"]),
        "sql_date_c": _timestamp(leads["sql_at"]),
        "disqualified_date_c": _timestamp(leads["disqualified_at"]),
        "is_converted": converted_at.notna(),
        "converted_date": converted_at.dt.normalize(),
        **_pick(leads, converted_account_id="converted_account_id",
                converted_opportunity_id="converted_opportunity_id"),
        "status": np.select(
            [converted_at.notna(), leads["disqualified_at"].notna(), leads["sql_at"].notna()],
            ["Closed - Converted", "Closed - Not Converted", "Working - Contacted"], "Open - Not Contacted"),
        "company": "Prospect of " + leads["lead_id"],
        "is_deleted": _is_true(leads["is_deleted"]),
        "_fivetran_active": True,
        "_fivetran_synced": synced,
    })
    stale = _stale_versions(lead, {"lead_source": "Purchased List", "is_deleted": False}, rng, 0.03)
    _write(pd.concat([lead, stale], ignore_index=True), out_dir, "lead", "parquet", counts, camel=mixed)

    # opportunity_history (the OpportunityHistory object) ---------------------------------
    # One row per save, with the whole state after it: every stage entered, and every
    # change of the close date or amount (rows that enter no stage); a save of both at
    # one moment is one row. A deal without stage history keeps its current stage.
    history = tables["opportunity_stage_history"].copy()
    history["entered_at"] = _timestamp(history["entered_at"])
    entries = pd.DataFrame({"opportunity_id": history["opportunity_id"], "created_date": history["entered_at"],
                            "stage_name": history["stage_name"]})
    changes = _close_date_history(tables).rename(columns={"changed_at": "created_date"})
    saves = pd.concat([entries[["opportunity_id", "created_date"]], changes[["opportunity_id", "created_date"]]],
                      ignore_index=True).drop_duplicates().sort_values("created_date", kind="stable")
    stage_now = opportunities.set_index("opportunity_id")["stage_name"]
    rows = pd.merge_asof(saves, entries.sort_values("created_date", kind="stable"), on="created_date",
                         by="opportunity_id")
    rows["stage_name"] = rows["stage_name"].fillna(rows["opportunity_id"].map(stage_now))
    if changes.empty:
        rows["close_date"], rows["amount"] = pd.NaT, np.nan
    else:
        rows = pd.merge_asof(rows, changes[["opportunity_id", "created_date", "close_date", "amount"]]
                             .sort_values("created_date", kind="stable"), on="created_date", by="opportunity_id")
    rows["forecast_category"] = rows["stage_name"].map(stage_forecast_categories(stages_table(tables))).map(
        lambda category: SALESFORCE_FORECAST_CATEGORIES[category][1] if isinstance(category, str) else None)
    history_rows = rows.sort_values(["opportunity_id", "created_date"], kind="stable").reset_index(drop=True)
    deleted_opportunities = set(opportunities.loc[_is_true(opportunities["is_deleted"]), "opportunity_id"])
    history_rows.insert(0, "id", [f"008H{index:014d}" for index in range(len(history_rows))])
    history_rows["is_deleted"] = history_rows["opportunity_id"].isin(deleted_opportunities)
    history_rows["_fivetran_active"] = True
    history_rows["_fivetran_synced"] = synced
    stale = _stale_versions(history_rows, {"stage_name": "Closed Lost", "close_date": pd.Timestamp("2020-01-01")},
                            rng, 0.03)
    _write(pd.concat([history_rows, stale], ignore_index=True), out_dir, "opportunity_history", "parquet",
           counts, camel=mixed)

    # opportunity_line_item, product_2 ------------------------------------------------------
    with_product = opportunities.dropna(subset=["product_id"])
    line_items = pd.DataFrame({
        "id": [f"00k{index:015d}" for index in range(len(with_product))],
        "opportunity_id": with_product["opportunity_id"].to_numpy(),
        "product_2_id": with_product["product_id"].to_numpy(),
        "quantity": 1.0,
        "total_price": with_product["amount"].to_numpy(),
        "created_date": _timestamp(with_product["created_at"]).to_numpy(),
        "is_deleted": False,
        "_fivetran_active": True,
    })
    # a line item removed before anything else was added: must not give the product
    removed = _sample(line_items, 0.05, rng).copy()
    removed["id"] = [f"00kDEL{index:012d}" for index in range(len(removed))]
    removed["product_2_id"] = "01tDISCONTINUED0001"
    removed["created_date"] = removed["created_date"] - pd.Timedelta(minutes=5)
    removed["is_deleted"] = True
    _write(pd.concat([line_items, removed], ignore_index=True), out_dir, "opportunity_line_item", "parquet",
           counts, camel=mixed, file_name="OpportunityLineItem" if mixed else None)

    if "products" in tables:
        products = tables["products"]
        product_2 = pd.DataFrame({
            **_pick(products, id="product_id", name="product_name", family="product_family",
                    launched_on_c="launched_on"),
            "is_active": True,
            "is_deleted": False,
            "_fivetran_active": True,
        })
        discontinued = pd.DataFrame([{"id": "01tDISCONTINUED0001", "name": "Discontinued", "family": None,
                                      "launched_on_c": None, "is_active": False, "is_deleted": True,
                                      "_fivetran_active": True}])
        _write(pd.concat([product_2, discontinued], ignore_index=True), out_dir, "product_2", "parquet", counts)

    # dated_conversion_rate ---------------------------------------------------------------
    if "exchange_rates" in tables:
        rates = tables["exchange_rates"].copy()
        rates["rate_date"] = pd.to_datetime(rates["rate_date"])
        rates = rates.sort_values(["currency", "rate_date"]).reset_index(drop=True)
        conversion = pd.DataFrame({
            "iso_code": rates["currency"].str.upper(),
            "start_date": rates["rate_date"],
            "next_start_date": rates.groupby("currency")["rate_date"].shift(-1),
            "conversion_rate": (1 / rates["rate_to_reporting"].astype(float)).round(9),
        })
        # the corporate currency itself, at 1 (exercises the cross-rate path)
        corporate = pd.DataFrame([{"iso_code": "USD", "start_date": rates["rate_date"].min(),
                                   "next_start_date": pd.NaT, "conversion_rate": 1.0}])
        conversion = pd.concat([conversion, corporate], ignore_index=True)
        conversion.insert(0, "id", [f"04w{index:015d}" for index in range(len(conversion))])
        conversion["_fivetran_active"] = True
        _write(conversion, out_dir, "dated_conversion_rate", "parquet", counts)

    _copy_canonical(tables, out_dir, CANONICAL_TABLES + ("stages",), counts)
    return rendition


def _check_salesforce_conversions(leads: pd.DataFrame, opportunities: pd.DataFrame,
                                  lead_field: pd.Series, converted_at: pd.Series) -> None:
    """Every converted_at must be derivable: the converted (or Lead__c) opportunity's creation, or midnight."""
    created = _timestamp(opportunities["created_at"])
    by_id = pd.Series(created.to_numpy(), index=opportunities["opportunity_id"])
    field_opportunities = pd.DataFrame({"lead_id": lead_field, "created_at": created}).dropna()
    converted = leads[converted_at.notna()]
    for lead_id, opportunity_id, at in zip(converted["lead_id"], converted["converted_opportunity_id"],
                                           converted_at[converted_at.notna()]):
        derived = None
        if isinstance(opportunity_id, str) and opportunity_id in by_id.index \
                and by_id[opportunity_id].normalize() == at.normalize():
            derived = by_id[opportunity_id]
        if derived is None:
            same_day = field_opportunities[(field_opportunities["lead_id"] == lead_id)
                                           & (field_opportunities["created_at"].dt.normalize() == at.normalize())]
            derived = same_day["created_at"].min() if len(same_day) else at.normalize()
        if derived != at:
            raise NotRepresentable(f"lead {lead_id}: converted_at {at} cannot be derived from Salesforce "
                                   f"(ConvertedDate and the opportunities' creation times give {derived})")


# --------------------------------------------------------------------------- HubSpot


def _numeric_ids(values: pd.Series, start: int) -> dict[str, int]:
    return {value: start + index for index, value in enumerate(sorted(values.dropna().unique()))}


def to_hubspot(canonical_raw_dir: Path | str, out_dir: Path | str, seed: int = 0) -> Rendition:
    """Write the canonical dataset as Fivetran's HubSpot tables (plus the canonical tables HubSpot lacks).

    HubSpot ids are numbers: every key is renumbered (owners, contacts, companies,
    deals, products) and the canonical tables written beside them use the new
    ids; Rendition.id_maps has {entity: {canonical id: HubSpot id as text}}.
    """
    rng = np.random.default_rng(seed)
    tables = read_canonical(canonical_raw_dir)
    out_dir = _prepare(out_dir)
    rendition = Rendition("hubspot", out_dir)
    counts = rendition.counts
    synced = pd.Timestamp("2026-11-01 02:00:00")

    users, accounts, leads = tables["users"], tables["accounts"], tables["leads"]
    opportunities = tables["opportunities"].copy()
    products = tables.get("products")
    ids = {
        "users": _numeric_ids(users["user_id"], 10_000_001),
        "leads": _numeric_ids(leads["lead_id"], 100_001),
        "accounts": _numeric_ids(accounts["account_id"], 5_000_001),
        "opportunities": _numeric_ids(opportunities["opportunity_id"], 9_000_001),
        "products": _numeric_ids(products["product_id"], 1_001) if products is not None else {},
    }
    rendition.id_maps = {entity: {key: str(value) for key, value in mapping.items()} for entity, mapping in ids.items()}

    def hs(entity: str, series: pd.Series) -> pd.Series:
        return series.map(ids[entity]).astype("Int64")

    def hs_text(entity: str, series: pd.Series) -> pd.Series:
        return series.map(rendition.id_maps[entity])

    # owner and the users' HR attributes (canonical overrides) -------------------------------
    names = users["full_name"].fillna("").str.split(" ", n=1, expand=True).reindex(columns=[0, 1])
    owner = pd.DataFrame({
        "owner_id": hs("users", users["user_id"]),
        "email": users["email"],
        "first_name": names[0],
        "last_name": names[1],
        "type": "PERSON",
        "created_at": pd.to_datetime(users["hired_on"]),
        "updated_at": synced,
        "is_active": users["left_on"].isna(),
        "_fivetran_deleted": False,
        "_fivetran_synced": synced,
    })
    gone = owner.iloc[[0]].assign(owner_id=pd.array([99_999_999], dtype="Int64"), email="gone@example.com",
                                  _fivetran_deleted=True)
    _write(pd.concat([owner, gone], ignore_index=True), out_dir, "owner", "parquet", counts)
    user_overrides = users.assign(
        user_id=hs_text("users", users["user_id"]),
        manager_id=hs_text("users", users["manager_id"]),
        full_name=None,  # from the owner record
        email=None,
    )
    user_overrides.to_parquet(out_dir / "users.parquet", index=False)
    counts["users"] = len(user_overrides)

    # company ----------------------------------------------------------------------------
    company = pd.DataFrame({
        "id": hs("accounts", accounts["account_id"]),
        **_pick(accounts, property_name="account_name", property_industry="industry",
                property_segment="segment", property_region="region"),
        "property_hubspot_owner_id": hs("users", accounts["owner_id"]),
        "property_createdate": _timestamp(accounts["created_at"]),
        "is_deleted": False,
        "_fivetran_deleted": False,
        "_fivetran_synced": synced,
    })
    deleted = _sample(company, 0.02, rng, 2).copy()
    deleted["id"] = pd.array(range(6_900_001, 6_900_001 + len(deleted)), dtype="Int64")
    deleted["is_deleted"] = True
    _write(pd.concat([company, deleted], ignore_index=True), out_dir, "company", "parquet", counts)

    # contact (the lead funnel as lifecycle-stage dates) and lead-status history ---------------
    _check_hubspot_leads(leads, opportunities)
    created = _timestamp(leads["created_at"])
    mql, sql = _timestamp(leads["mql_at"]), _timestamp(leads["sql_at"])
    converted, disqualified = _timestamp(leads["converted_at"]), _timestamp(leads["disqualified_at"])
    contact_ids = hs("leads", leads["lead_id"])
    contact = pd.DataFrame({
        "id": contact_ids,
        "property_email": leads["lead_id"].str.lower() + "@prospect.example",
        "property_createdate": created,
        "property_lead_source": leads["lead_source"],
        "property_hs_analytics_source": leads["lead_source"].map(HUBSPOT_ANALYTICS_SOURCES),
        "property_hs_analytics_source_data_1": leads["campaign"],
        "property_hubspot_owner_id": hs("users", leads["owner_id"]),
        "property_hs_lifecyclestage_lead_date": created,
        "property_hs_lifecyclestage_marketingqualifiedlead_date": mql,
        "property_hs_lifecyclestage_salesqualifiedlead_date": sql,
        "property_hs_lifecyclestage_opportunity_date": converted,
        "property_lifecyclestage": np.select([converted.notna(), sql.notna(), mql.notna()],
                                             ["opportunity", "salesqualifiedlead", "marketingqualifiedlead"], "lead"),
        "property_hs_lead_status": np.where(disqualified.notna(), "UNQUALIFIED", "OPEN"),
        "property_associatedcompanyid": hs("accounts", leads["converted_account_id"]),
        "_fivetran_deleted": _is_true(leads["is_deleted"]),
        "_fivetran_synced": synced,
    })
    _write(contact, out_dir, "contact", "parquet", counts)
    status_rows = [
        pd.DataFrame({"contact_id": contact_ids, "name": "hs_lead_status", "value": "NEW", "timestamp": created}),
        pd.DataFrame({"contact_id": contact_ids, "name": "lifecyclestage", "value": "lead", "timestamp": created}),
        pd.DataFrame({"contact_id": contact_ids[disqualified.notna()], "name": "hs_lead_status",
                      "value": "UNQUALIFIED", "timestamp": disqualified[disqualified.notna()]}),
    ]
    property_history = pd.concat(status_rows, ignore_index=True)
    property_history["source"] = "CRM_UI"
    _write(property_history, out_dir, "contact_property_history", "parquet", counts)

    # deal_pipeline_stage ----------------------------------------------------------------
    stages = stages_table(tables).copy()
    stage_ids = {name: "".join(ch for ch in name.lower() if ch.isalnum()) for name in stages["stage_name"]}
    pipeline_stage = pd.DataFrame({
        "stage_id": stages["stage_name"].map(stage_ids),
        "pipeline_id": "default",
        "label": stages["stage_name"],
        "display_order": range(len(stages)),
        "probability": stages["forecast_probability"].astype(float),
        "closed_won": stages["is_won"].astype(bool),
        "forecast_category": stages["stage_name"].map(stage_forecast_categories(stages)).map(
            HUBSPOT_FORECAST_CATEGORIES),
        "active": True,
        "_fivetran_deleted": False,
    })
    retired = pd.DataFrame([{"stage_id": "retiredstage", "pipeline_id": "default", "label": "Retired Stage",
                             "display_order": 99, "probability": 0.5, "closed_won": False, "active": False,
                             "_fivetran_deleted": True}])
    _write(pd.concat([pipeline_stage, retired], ignore_index=True), out_dir, "deal_pipeline_stage", "parquet", counts)

    # deal and its associations ------------------------------------------------------------
    conversion_lead = _lead_of_conversion(leads)
    associated_lead = opportunities["opportunity_id"].map(conversion_lead)
    lead_property = opportunities["lead_id"].where(opportunities["lead_id"] != associated_lead)
    deal_ids = hs("opportunities", opportunities["opportunity_id"])
    deal = pd.DataFrame({
        "deal_id": deal_ids,
        "property_dealname": opportunities["opportunity_id"] + " deal",
        **_pick(opportunities, property_amount="amount", property_deal_currency_code="currency"),
        "property_createdate": _timestamp(opportunities["created_at"]),
        "property_closedate": pd.to_datetime(opportunities["close_date"]),
        "property_hs_lastmodifieddate": _timestamp(opportunities["updated_at"]),
        "property_dealtype": opportunities["opportunity_type"].map(HUBSPOT_DEAL_TYPES),
        "deal_pipeline_id": "default",
        "deal_pipeline_stage_id": opportunities["stage_name"].map(stage_ids),
        "owner_id": hs("users", opportunities["owner_id"]),
        "property_hubspot_owner_id": hs("users", opportunities["owner_id"]),
        "property_sdr_owner_id": hs("users", opportunities["sourced_by_id"]),
        "property_lead_contact_id": hs("leads", lead_property),
        "portal_id": 62515,
        "is_deleted": _is_true(opportunities["is_deleted"]),
        "_fivetran_deleted": False,
        "_fivetran_synced": synced,
    })
    _write(deal, out_dir, "deal", "parquet", counts)

    deal_company = pd.DataFrame({"deal_id": deal_ids, "company_id": hs("accounts", opportunities["account_id"]),
                                 "type_id": 5, "category": "HUBSPOT_DEFINED"}).dropna(subset=["company_id"])
    # secondary (non-primary) companies with lower ids: the primary association must win
    secondary = _sample(deal_company, 0.05, rng).copy()
    secondary["company_id"] = pd.array([5_000_000] * len(secondary), dtype="Int64")
    secondary["type_id"] = 341
    _write(pd.concat([deal_company, secondary], ignore_index=True), out_dir, "deal_company", "parquet", counts)

    linked = associated_lead.notna()
    deal_contact = pd.DataFrame({"deal_id": deal_ids[linked], "contact_id": hs("leads", associated_lead[linked]),
                                 "type_id": 3, "category": "HUBSPOT_DEFINED"})
    _write(deal_contact, out_dir, "deal_contact", "parquet", counts)

    # deal_stage: the stage history, with a repeated stage the adapter must not count twice ----
    history = tables["opportunity_stage_history"].copy()
    history["entered_at"] = _timestamp(history["entered_at"])
    history = history.sort_values(["opportunity_id", "entered_at"], kind="stable").reset_index(drop=True)
    ends = history.groupby("opportunity_id")["entered_at"].shift(-1)
    deal_stage = pd.DataFrame({
        "deal_id": hs("opportunities", history["opportunity_id"]),
        "value": history["stage_name"].map(stage_ids),
        "date_entered": history["entered_at"],
        "source": "CRM_UI",
        "source_id": "rep@salesco.example",
        "_fivetran_start": history["entered_at"],
        "_fivetran_end": ends.fillna(FAR_FUTURE),
        "_fivetran_active": ends.isna(),
    })
    gap = (ends - history["entered_at"]).fillna(pd.Timedelta(hours=2))
    repeats = _sample(deal_stage[gap > pd.Timedelta(seconds=2)], 0.05, rng).copy()
    repeats["date_entered"] = repeats["date_entered"] + (gap[repeats.index] / 2).dt.floor("s")
    repeats["_fivetran_start"] = repeats["date_entered"]
    repeats["source"] = "AUTOMATION_PLATFORM"
    deal_stage = pd.concat([deal_stage, repeats], ignore_index=True)
    _write(deal_stage, out_dir, "deal_stage", "parquet", counts)

    # deal_property_history: closedate and amount, each when it was set or changed ---------
    changes = _close_date_history(tables)
    first = changes["opportunity_id"] != changes["opportunity_id"].shift()
    close_set = changes["close_date"].notna() & (first | (changes["close_date"] != changes["close_date"].shift()))
    amount_set = changes["amount"].notna() & (first | (changes["amount"] != changes["amount"].shift()))
    epoch_ms = (changes["close_date"] - pd.Timestamp("1970-01-01")) // pd.Timedelta(milliseconds=1)
    # most dates as epoch milliseconds, some as ISO text: the adapter reads both
    iso = pd.Series(rng.random(len(changes)) < 0.1, index=changes.index)
    close_value = epoch_ms.astype("Int64").astype(str).where(~iso, changes["close_date"].dt.strftime("%Y-%m-%dT00:00:00Z"))
    deal_property_history = pd.concat([
        pd.DataFrame({"deal_id": hs("opportunities", changes["opportunity_id"][close_set]), "name": "closedate",
                      "value": close_value[close_set], "timestamp": changes["changed_at"][close_set]}),
        pd.DataFrame({"deal_id": hs("opportunities", changes["opportunity_id"][amount_set]), "name": "amount",
                      "value": changes["amount"][amount_set].map(lambda amount: f"{amount:.2f}"),
                      "timestamp": changes["changed_at"][amount_set]}),
    ], ignore_index=True)
    deal_property_history["source"] = "CRM_UI"
    _write(deal_property_history, out_dir, "deal_property_history", "parquet", counts)

    # line items --------------------------------------------------------------------------
    with_product = opportunities.dropna(subset=["product_id"])
    line_item_ids = pd.array(range(700_000_001, 700_000_001 + len(with_product)), dtype="Int64")
    line_item = pd.DataFrame({
        "id": line_item_ids,
        "property_hs_product_id": hs("products", with_product["product_id"]).to_numpy(),
        "property_name": with_product["product_id"].to_numpy(),
        "property_amount": with_product["amount"].to_numpy(),
        "property_quantity": 1.0,
        "is_deleted": False,
        "_fivetran_deleted": False,
    })
    line_item_deal = pd.DataFrame({"line_item_id": line_item_ids,
                                   "deal_id": hs("opportunities", with_product["opportunity_id"]).to_numpy()})
    removed = _sample(line_item_deal, 0.05, rng).copy()
    removed_ids = pd.array(range(690_000_001, 690_000_001 + len(removed)), dtype="Int64")
    removed_items = pd.DataFrame({"id": removed_ids, "property_hs_product_id": pd.array([999] * len(removed), dtype="Int64"),
                                  "property_name": "removed", "property_amount": 0.0, "property_quantity": 1.0,
                                  "is_deleted": True, "_fivetran_deleted": False})
    _write(pd.concat([line_item, removed_items], ignore_index=True), out_dir, "line_item", "parquet", counts)
    line_item_deal = pd.concat([line_item_deal, pd.DataFrame({"line_item_id": removed_ids,
                                                              "deal_id": removed["deal_id"].to_numpy()})],
                               ignore_index=True)
    _write(line_item_deal, out_dir, "line_item_deal", "parquet", counts)

    # canonical tables, keys translated -------------------------------------------------------
    canonical = {}
    if "subscriptions" in tables:
        canonical["subscriptions"] = tables["subscriptions"].assign(
            account_id=hs_text("accounts", tables["subscriptions"]["account_id"]),
            product_id=hs_text("products", tables["subscriptions"]["product_id"]))
    canonical["quotas"] = tables["quotas"].assign(user_id=hs_text("users", tables["quotas"]["user_id"]))
    canonical["targets"] = tables["targets"].assign(product_id=hs_text("products", tables["targets"]["product_id"]))
    if products is not None:
        canonical["products"] = products.assign(product_id=hs_text("products", products["product_id"]))
    if "activities" in tables:
        activities = tables["activities"]
        canonical["activities"] = activities.assign(
            user_id=hs_text("users", activities["user_id"]),
            lead_id=hs_text("leads", activities["lead_id"]),
            opportunity_id=hs_text("opportunities", activities["opportunity_id"]))
    for name in ("exchange_rates", "stages"):
        if name in tables:
            canonical[name] = tables[name]
    for name, frame in canonical.items():
        frame.to_parquet(out_dir / f"{name}.parquet", index=False)
        counts[name] = len(frame)
    return rendition


def _check_hubspot_leads(leads: pd.DataFrame, opportunities: pd.DataFrame) -> None:
    """What the contact / deal-association shape cannot hold raises NotRepresentable."""
    not_converted = leads["converted_at"].isna()
    for column in ("converted_account_id", "converted_opportunity_id"):
        orphan = not_converted & leads[column].notna()
        if orphan.any():
            raise NotRepresentable(f"leads with {column} but no converted_at (HubSpot derives it from the "
                                   f"opportunity date): {', '.join(leads.loc[orphan, 'lead_id'].head(5))}")
    conversion_lead = _lead_of_conversion(leads)
    lead_of = opportunities.set_index("opportunity_id")["lead_id"]
    for opportunity_id, lead_id in conversion_lead.items():
        if opportunity_id in lead_of.index and lead_of[opportunity_id] != lead_id:
            raise NotRepresentable(f"opportunity {opportunity_id}: lead_id {lead_of[opportunity_id]} but lead "
                                   f"{lead_id} converted into it (the deal-contact association gives one lead)")
    converting = leads.dropna(subset=["converted_opportunity_id"])
    if converting["converted_opportunity_id"].duplicated().any():
        raise NotRepresentable("several leads converted into the same opportunity")
