"""An independent re-implementation of the funnel KPIs in pandas, for tests.

It reads the raw files (the contract tables), the funnel configuration
(``seeds/stages.csv`` unless the raw directory has its own ``stages``) and the
project's vars from ``dbt_project.yml`` — never a dbt model — and re-derives,
from the spec's wording, what the funnel marts must contain. Written without
looking at the SQL's structure: row by row where that is clearest, vectorised
where the data is big.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

GRAINS = ["week", "month", "quarter", "year"]
COHORT_GRAINS = ["week", "month", "quarter"]
CENT = Decimal("0.01")
MICRO = Decimal("0.000001")


# --------------------------------------------------------------------------- inputs


def project_vars(project_dir: Path) -> dict:
    return yaml.safe_load((project_dir / "dbt_project.yml").read_text())["vars"]


def read_raw(raw_dir: Path, table: str) -> pd.DataFrame | None:
    parquet, csv = raw_dir / f"{table}.parquet", raw_dir / f"{table}.csv"
    if parquet.exists():
        return pd.read_parquet(parquet)
    if csv.exists():
        return pd.read_csv(csv, dtype=str, keep_default_na=False, na_values=[""])
    return None


def _ts(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, errors="raise")


def _day(series: pd.Series) -> pd.Series:
    """Timestamps (or dates) as midnight timestamps (NaT stays NaT)."""
    return _ts(series).dt.normalize()


def _text(series: pd.Series) -> pd.Series:
    return series.astype("object").where(series.notna(), None)


def _not_deleted(frame: pd.DataFrame) -> pd.Series:
    flag = frame["is_deleted"]
    if flag.dtype == object:  # csv text
        flag = flag.map(lambda v: None if v is None or pd.isna(v) else str(v).strip().lower() in ("true", "1", "t", "yes"))
    return ~flag.fillna(False).astype(bool)


def _decimal(value, places: Decimal = MICRO) -> Decimal:
    """A number as the warehouse's decimal(28, 6) (half away from zero)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return Decimal(0)
    return Decimal(repr(value) if isinstance(value, float) else str(value)).quantize(places, rounding=ROUND_HALF_UP)


def stages_table(raw_dir: Path, project_dir: Path) -> pd.DataFrame:
    own = read_raw(raw_dir, "stages")
    stages = own if own is not None else pd.read_csv(project_dir / "seeds" / "stages.csv")
    stages = stages.copy()
    stages["stage_number"] = pd.to_numeric(stages["stage_number"]).astype("Int64")
    for column in ("is_closed", "is_won"):
        stages[column] = stages[column].map(lambda v: str(v).strip().lower() in ("true", "1", "t"))
    return stages


# --------------------------------------------------------------------------- calendar


def period_start(days: pd.Series, grain: str, fiscal_start_month: int = 1) -> pd.Series:
    """First day of the week (ISO) / month / fiscal quarter / fiscal year holding each day (NaT stays NaT)."""
    days = _day(days)
    if grain == "week":
        return days - pd.to_timedelta(days.dt.weekday, unit="D")
    months = days.dt.year * 12 + days.dt.month - 1  # months since year 0, NaN for NaT
    if grain != "month":
        fiscal_index = (days.dt.month - fiscal_start_month) % 12
        months = months - (fiscal_index % 3 if grain == "quarter" else fiscal_index)
    known = months.notna()
    out = pd.Series(pd.NaT, index=days.index, dtype="datetime64[ns]")
    whole = months[known].astype("int64")
    out[known] = pd.to_datetime(pd.DataFrame({"year": whole // 12, "month": whole % 12 + 1, "day": 1}))
    return out


def period_end(start: pd.Timestamp, grain: str) -> pd.Timestamp:
    if grain == "week":
        return start + pd.Timedelta(days=6)
    months = {"month": 1, "quarter": 3, "year": 12}[grain]
    return start + pd.DateOffset(months=months) - pd.Timedelta(days=1)


def next_period(start: pd.Timestamp, grain: str) -> pd.Timestamp:
    return period_end(start, grain) + pd.Timedelta(days=1)


def periods_between(first: pd.Timestamp, last: pd.Timestamp, grain: str) -> list[pd.Timestamp]:
    """Period starts of a grain from the one holding `first` to the one holding `last`."""
    current = period_start(pd.Series([first]), grain).iloc[0]
    out = []
    while current <= last:
        out.append(current)
        current = next_period(current, grain)
    return out


# --------------------------------------------------------------------------- facts


@dataclass
class Facts:
    leads: pd.DataFrame
    opportunities: pd.DataFrame
    users: pd.DataFrame
    as_of: pd.Timestamp
    vars: dict
    sdr_cache: dict = field(default_factory=dict)

    @property
    def sdr_spells(self) -> list[tuple]:
        sdrs = self.users[self.users["role"] == "sdr"]
        return list(zip(sdrs["hired_on"], sdrs["left_on"]))


def build_facts(raw_dir: Path, project_dir: Path, as_of: str) -> Facts:
    as_of_day = pd.Timestamp(as_of)
    cutoff = as_of_day + pd.Timedelta(days=1)
    config = project_vars(project_dir)
    reporting = str(config.get("reporting_currency") or "USD").upper()
    stages = stages_table(raw_dir, project_dir)

    # ---- leads as known at the as-of date
    leads = read_raw(raw_dir, "leads")
    leads = leads[_not_deleted(leads)].copy()
    leads["created_at"] = _ts(leads["created_at"])
    leads = leads[leads["created_at"] < cutoff].copy()
    for step in ("mql_at", "sql_at", "disqualified_at", "converted_at"):
        moment = _ts(leads[step])
        leads[step] = moment.where(moment < cutoff)
    leads["lead_source"] = [
        "unknown" if v is None or pd.isna(v) or not str(v).strip() else str(v).strip().lower() for v in leads["lead_source"]]

    # ---- opportunities as known at the as-of date (record-level repairs of staging)
    opps = read_raw(raw_dir, "opportunities")
    opps = opps[_not_deleted(opps)].copy()
    opps["close_date"] = _day(opps["close_date"])
    opps["created_at"] = _ts(opps["created_at"])
    closed_first = opps["created_at"].dt.normalize() > opps["close_date"]
    opps.loc[closed_first, "created_at"] = opps.loc[closed_first, "close_date"]
    opps = opps[opps["created_at"] < cutoff].copy()
    opps["currency"] = opps["currency"].map(
        lambda v: reporting if v is None or pd.isna(v) or not str(v).strip() else str(v).strip().upper())
    opps["amount_decimal"] = [max(_decimal(v), Decimal(0)) for v in opps["amount"]]
    opps["opportunity_type"] = opps["opportunity_type"].map(lambda v: str(v).strip().lower())
    stage_info = stages.set_index("stage_name")
    opps["is_won"] = [bool(stage_info.loc[s, "is_won"]) and d <= as_of_day for s, d in zip(opps["stage_name"], opps["close_date"])]
    bookings = set(config.get("bookings_opportunity_types") or ["new_business", "expansion"])
    opps["is_bookings_type"] = opps["opportunity_type"].isin(bookings)

    # ---- amount in the reporting currency: latest rate on or before the close date
    rates = read_raw(raw_dir, "exchange_rates")
    rate_lookup: dict[str, tuple[list, list]] = {}
    if rates is not None and len(rates):
        rates = rates.copy()
        rates["currency"] = rates["currency"].map(lambda v: str(v).strip().upper())
        rates["rate_date"] = _day(rates["rate_date"])
        for currency, group in rates.sort_values("rate_date").groupby("currency"):
            rate_lookup[currency] = (list(group["rate_date"]), [_decimal(v) for v in group["rate_to_reporting"]])

    def rate_for(currency: str, day: pd.Timestamp) -> Decimal:
        if currency == reporting:
            return Decimal(1)
        dates, values = rate_lookup[currency]
        position = int(np.searchsorted(np.array(dates, dtype="datetime64[ns]"), np.datetime64(day), side="right")) - 1
        assert position >= 0, f"no {currency} rate on or before {day}"
        return values[position]

    opps["arr_amount"] = [
        (amount * rate_for(currency, day)).quantize(CENT, rounding=ROUND_HALF_UP)
        for amount, currency, day in zip(opps["amount_decimal"], opps["currency"], opps["close_date"])
    ]

    # ---- segment of the account
    accounts = read_raw(raw_dir, "accounts")
    segments = dict(zip(accounts["account_id"], accounts["segment"]))
    opps["segment"] = [
        (segments.get(a) if isinstance(segments.get(a), str) else "unknown") if a in segments else "unknown"
        for a in opps["account_id"]
    ]

    # ---- stages reached, from the history known at the as-of date
    history = read_raw(raw_dir, "opportunity_stage_history")
    history = history[history["opportunity_id"].isin(set(opps["opportunity_id"]))].copy()
    history["entered_at"] = _ts(history["entered_at"])
    with_history = set(history["opportunity_id"])
    entries = history.loc[history["entered_at"] < cutoff, ["opportunity_id", "stage_name", "entered_at"]]
    inferred = opps.loc[~opps["opportunity_id"].isin(with_history), ["opportunity_id", "stage_name", "created_at"]]
    entries = pd.concat([entries, inferred.rename(columns={"created_at": "entered_at"})], ignore_index=True)
    entries = entries.merge(stages[["stage_name", "stage_number"]], on="stage_name", how="inner")
    entries = entries[entries["stage_number"].notna()]
    for k in (1, 2):
        first = entries[entries["stage_number"] >= k].groupby("opportunity_id")["entered_at"].min()
        opps[f"stage{k}_reached_at"] = opps["opportunity_id"].map(first)

    # ---- the lead of each opportunity: its lead_id when that lead exists, else
    # the (smallest) lead naming it as converted_opportunity_id
    lead_ids = set(leads["lead_id"])
    converting = (leads.dropna(subset=["converted_opportunity_id"])
                  .groupby("converted_opportunity_id")["lead_id"].min())
    opps["lead_of_opportunity"] = [
        lead if isinstance(lead, str) and lead in lead_ids else converting.get(opp)
        for lead, opp in zip(opps["lead_id"], opps["opportunity_id"])
    ]
    source_by_lead = dict(zip(leads["lead_id"], leads["lead_source"]))
    opps["lead_source"] = [source_by_lead.get(lead, "none") if lead is not None else "none"
                           for lead in opps["lead_of_opportunity"]]

    # ---- the opportunity of each lead (settled reading)
    existing = set(opps["opportunity_id"])
    earliest = (opps.dropna(subset=["lead_id"]).sort_values(["created_at", "opportunity_id"])
                .drop_duplicates("lead_id").set_index("lead_id")["opportunity_id"])
    leads["opportunity_id"] = [
        named if isinstance(named, str) and named in existing else earliest.get(lead)
        for named, lead in zip(leads["converted_opportunity_id"], leads["lead_id"])
    ]
    by_id = opps.set_index("opportunity_id")
    lead_opps = by_id.reindex(leads["opportunity_id"].where(leads["opportunity_id"].notna(), "<none>"))
    leads["stage1_reached_at"] = lead_opps["stage1_reached_at"].to_numpy()
    leads["stage2_reached_at"] = lead_opps["stage2_reached_at"].to_numpy()
    leads["is_won"] = lead_opps["is_won"].fillna(False).astype(bool).to_numpy()
    leads["won_on"] = lead_opps["close_date"].where(lead_opps["is_won"].fillna(False).astype(bool)).to_numpy()
    for column in ("created_at", "mql_at", "sql_at", "converted_at", "stage1_reached_at", "stage2_reached_at"):
        leads[column.replace("_at", "_on")] = _day(leads[column])
    leads["won_on"] = _day(leads["won_on"])
    leads["days_to_sql"] = (leads["sql_on"] - leads["created_on"]).dt.days

    users = read_raw(raw_dir, "users").copy()
    users["role"] = users["role"].map(lambda v: str(v).strip().lower())
    users["hired_on"] = _day(users["hired_on"])
    users["left_on"] = _day(users["left_on"])
    users = users[users["hired_on"] <= as_of_day]
    return Facts(leads=leads.reset_index(drop=True), opportunities=opps.reset_index(drop=True),
                 users=users.reset_index(drop=True), as_of=as_of_day, vars=config)


def active_sdrs(facts: Facts, start: pd.Timestamp, grain: str) -> int:
    """SDRs employed on any day of the period: hired by its last day, not left before its first."""
    key = (pd.Timestamp(start), grain)
    if key not in facts.sdr_cache:
        end = period_end(key[0], grain)
        facts.sdr_cache[key] = sum(1 for hired, left in facts.sdr_spells if hired <= end and (pd.isna(left) or left >= key[0]))
    return facts.sdr_cache[key]


# --------------------------------------------------------------------------- marts


def lead_generation(facts: Facts) -> pd.DataFrame:
    """kpi_lead_generation, only the rows with some activity, plus active_sdrs and lead velocity."""
    leads = facts.leads
    fiscal = int(facts.vars.get("fiscal_year_start_month") or 1)
    frames = []
    for grain in GRAINS:
        parts = []
        created = leads.assign(period_start=period_start(leads["created_on"], grain, fiscal))
        parts.append(created.groupby(["period_start", "lead_source"]).agg(
            leads_created=("lead_id", "size"),
            cohort_mqls=("mql_at", "count"),
            cohort_sqls=("sql_at", "count"),
            cohort_converted=("converted_at", "count"),
        ))
        for column, measure in (("mql_on", "mqls"), ("sql_on", "sqls"), ("converted_on", "leads_converted")):
            stepped = leads[leads[column].notna()]
            stepped = stepped.assign(period_start=period_start(stepped[column], grain, fiscal))
            parts.append(stepped.groupby(["period_start", "lead_source"]).size().rename(measure).to_frame())
        table = pd.concat(parts, axis=1).fillna(0).astype(int).reset_index()
        table["period_grain"] = grain
        frames.append(table)
    out = pd.concat(frames, ignore_index=True)
    out["active_sdrs"] = [active_sdrs(facts, start, grain) for start, grain in zip(out["period_start"], out["period_grain"])]
    return out


def pipeline_creation(facts: Facts) -> pd.DataFrame:
    opps = facts.opportunities[facts.opportunities["is_bookings_type"]]
    fiscal = int(facts.vars.get("fiscal_year_start_month") or 1)
    rows: dict[tuple, dict] = {}
    for grain in GRAINS:
        for k in (1, 2):
            reached = opps[opps[f"stage{k}_reached_at"].notna()]
            starts = period_start(reached[f"stage{k}_reached_at"], grain, fiscal)
            for start, (_, opp) in zip(starts, reached.iterrows()):
                row = rows.setdefault((grain, start, opp["segment"], opp["lead_source"]), {
                    "stage1_opportunities": 0, "stage1_pipeline_arr": Decimal(0),
                    "stage2_opportunities": 0, "stage2_pipeline_arr": Decimal(0),
                    "stage1_cohort_reached_stage2": 0})
                row[f"stage{k}_opportunities"] += 1
                row[f"stage{k}_pipeline_arr"] += opp["arr_amount"]
                if k == 1 and pd.notna(opp["stage2_reached_at"]):
                    row["stage1_cohort_reached_stage2"] += 1
    return pd.DataFrame([
        {"period_grain": g, "period_start": s, "segment": seg, "lead_source": src, **values}
        for (g, s, seg, src), values in rows.items()
    ])


def pipeline_cohorts(facts: Facts) -> pd.DataFrame:
    """Every kpi_pipeline_cohorts row: cohorts from the first to the as-of one, k = 0 .. horizon started by as-of."""
    leads = facts.leads
    fiscal = int(facts.vars.get("fiscal_year_start_month") or 1)
    horizons = {"week": int(facts.vars["funnel_cohort_horizon_weeks"]),
                "month": int(facts.vars["funnel_cohort_horizon_months"]),
                "quarter": int(facts.vars["funnel_cohort_horizon_quarters"])}
    rows = []
    for grain in COHORT_GRAINS:
        cohort = period_start(leads["created_on"], grain, fiscal)
        sizes = cohort.value_counts()
        # per cohort, the periods its leads reached each stage in (a sorted array; NaT dropped)
        reached_in = {
            k: {c: np.sort(group.dropna().to_numpy(dtype="datetime64[ns]"))
                for c, group in period_start(leads[f"stage{k}_reached_on"], grain, fiscal).groupby(cohort)}
            for k in (1, 2)}
        for cohort_start in periods_between(cohort.min(), facts.as_of, grain):
            current = cohort_start
            for k in range(horizons[grain] + 1):
                if current > facts.as_of:
                    break
                following = np.datetime64(next_period(current, grain))
                reached = {n: int(np.searchsorted(reached_in[n].get(cohort_start, np.array([], dtype="datetime64[ns]")),
                                                  following, side="left")) for n in (1, 2)}
                rows.append({
                    "cohort_grain": grain, "cohort_start": cohort_start, "periods_since_start": k,
                    "period_start": current, "cohort_leads": int(sizes.get(cohort_start, 0)),
                    "reached_stage1": reached[1], "reached_stage2": reached[2],
                    "is_complete": period_end(current, grain) <= facts.as_of,
                })
                current = next_period(current, grain)
    return pd.DataFrame(rows)


def funnel_diagnosis(facts: Facts) -> pd.DataFrame:
    """kpi_funnel_diagnosis: monthly figures per source, the month-level window/baseline and the diagnosis."""
    v = facts.vars
    window, lag = int(v["funnel_diagnosis_window_months"]), int(v["funnel_diagnosis_baseline_lag_months"])
    sql_days, won_days = int(v["funnel_diagnosis_sql_window_days"]), int(v["funnel_diagnosis_won_window_days"])
    drop, rise, time_rise = float(v["funnel_diagnosis_conversion_drop"]), float(v["funnel_diagnosis_volume_rise"]), float(v["funnel_diagnosis_time_rise"])
    steady, min_leads = float(v["funnel_diagnosis_steady_tolerance"]), int(v["funnel_diagnosis_min_leads"])
    min_z = float(v["funnel_diagnosis_min_z"])
    min_source_leads = int(v["funnel_diagnosis_min_source_leads"])
    leads = facts.leads.copy()
    leads["created_month"] = period_start(leads["created_on"], "month")
    leads["sql_month"] = period_start(leads["sql_on"], "month")
    sql_leads = leads[leads["sql_on"].notna()].copy()
    sql_leads["won_in_window"] = sql_leads["is_won"] & ((sql_leads["won_on"] - sql_leads["sql_on"]).dt.days <= won_days)

    first_month = min(leads["created_month"].min(), sql_leads["sql_month"].min() if len(sql_leads) else leads["created_month"].min())
    months = periods_between(first_month, facts.as_of, "month")
    sources = sorted(set(leads["lead_source"]) | set(sql_leads["lead_source"]))
    rows = []
    for month in months:
        sdrs = active_sdrs(facts, month, "month")
        for source in sources:
            created = leads[(leads["created_month"] == month) & (leads["lead_source"] == source)]
            sqls = sql_leads[(sql_leads["sql_month"] == month) & (sql_leads["lead_source"] == source)]
            rows.append({
                "month_start": month, "lead_source": source, "active_sdrs": sdrs,
                "leads_created": len(created),
                "cohort_sqls_in_window": int((created["days_to_sql"] <= sql_days).sum()),
                "sqls": len(sqls), "sqls_won_in_window": int(sqls["won_in_window"].sum()),
                "days_to_sql_total": int(sqls["days_to_sql"].sum()),
                "median_days_to_sql": float(np.median(sqls["days_to_sql"])) if len(sqls) else None,
            })
    table = pd.DataFrame(rows).sort_values(["lead_source", "month_start"]).reset_index(drop=True)
    by_source = table.groupby("lead_source")
    table["source_window_leads"] = by_source["leads_created"].transform(lambda s: s.rolling(window, min_periods=1).sum())
    table["source_window_cohort_sqls"] = by_source["cohort_sqls_in_window"].transform(lambda s: s.rolling(window, min_periods=1).sum())
    table["source_baseline_leads"] = table.groupby("lead_source")["source_window_leads"].shift(lag)
    table["source_baseline_cohort_sqls"] = table.groupby("lead_source")["source_window_cohort_sqls"].shift(lag)

    month = table.groupby("month_start").agg(
        leads=("leads_created", "sum"), cohort=("cohort_sqls_in_window", "sum"), sqls=("sqls", "sum"),
        days=("days_to_sql_total", "sum"), sdrs=("active_sdrs", "max")).sort_index()
    medians = {m: float(np.median(group["days_to_sql"])) for m, group in sql_leads.groupby("sql_month")}
    month["month_median_days_to_sql"] = [medians.get(m) for m in month.index]
    rolled = month[["leads", "cohort", "sqls", "days", "sdrs"]].rolling(window, min_periods=1).sum()
    rolled["months"] = month["leads"].rolling(window, min_periods=1).count()
    base = rolled.shift(lag)

    def ratio(n, d):
        return None if d is None or pd.isna(d) or d == 0 or n is None or pd.isna(n) else float(n) / float(d)

    def change(a, b):
        return None if a is None or b is None or b == 0 else a / b - 1

    def z_statistic(x1, n1, x2, n2):
        if any(pd.isna(x) for x in (x1, n1, x2, n2)) or n1 == 0 or n2 == 0:
            return None
        pooled = float(x1 + x2) / float(n1 + n2)
        spread = math.sqrt(pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n2))
        return None if spread == 0 else (float(x1) / float(n1) - float(x2) / float(n2)) / spread

    diagnosis = {}
    for m in month.index:
        w, b = rolled.loc[m], base.loc[m]
        rate_w, rate_b = ratio(w["cohort"], w["leads"]), ratio(b["cohort"], b["leads"])
        lps_w, lps_b = ratio(w["leads"], w["sdrs"]), ratio(b["leads"], b["sdrs"])
        sps_w, sps_b = ratio(w["sqls"], w["sdrs"]), ratio(b["sqls"], b["sdrs"])
        days_w, days_b = ratio(w["days"], w["sqls"]), ratio(b["days"], b["sqls"])
        changes = {"lead_to_sql_rate_change": change(rate_w, rate_b), "leads_per_sdr_change": change(lps_w, lps_b),
                   "sqls_per_sdr_change": change(sps_w, sps_b), "days_to_sql_change": change(days_w, days_b),
                   "lead_to_sql_rate_z": z_statistic(w["cohort"], w["leads"], b["cohort"], b["leads"])}
        window_complete = period_end(m, "month") + pd.Timedelta(days=sql_days) <= facts.as_of
        if (not window_complete or w["months"] < window or pd.isna(b["months"]) or b["months"] < window
                or w["leads"] < min_leads or b["leads"] < min_leads or any(c is None for c in changes.values())):
            label = "insufficient_data"
        elif changes["lead_to_sql_rate_change"] > -drop or changes["lead_to_sql_rate_z"] > -min_z:
            label = "healthy"
        elif changes["leads_per_sdr_change"] >= rise and changes["days_to_sql_change"] >= time_rise:
            label = "sdr_capacity"
        elif changes["days_to_sql_change"] < time_rise and (changes["sqls_per_sdr_change"] > -steady or changes["leads_per_sdr_change"] < rise):
            label = "lead_quality"
        else:
            label = "unclear"
        diagnosis[m] = {"diagnosis": label, "window_lead_to_sql_rate": rate_w, "baseline_lead_to_sql_rate": rate_b,
                        "window_leads": w["leads"], "baseline_leads": b["leads"],
                        "month_median_days_to_sql": month.loc[m, "month_median_days_to_sql"], **changes}
    extra = pd.DataFrame.from_dict(diagnosis, orient="index")
    table = table.merge(extra, left_on="month_start", right_index=True, how="left")
    falling, z_values = [], []
    for _, row in table.iterrows():
        wl, bl = row["source_window_leads"], row["source_baseline_leads"]
        z = z_statistic(row["source_window_cohort_sqls"], wl, row["source_baseline_cohort_sqls"], bl)
        z_values.append(z)
        ok = pd.notna(bl) and wl >= min_source_leads and bl >= min_source_leads and z is not None and z <= -min_z
        falling.append(bool(ok and row["source_window_cohort_sqls"] * bl <= (1 - drop) * row["source_baseline_cohort_sqls"] * wl))
    table["is_source_conversion_falling"] = falling
    table["source_lead_to_sql_rate_z"] = z_values
    return table


def to_day(value) -> pd.Timestamp:
    if isinstance(value, (dt.date, dt.datetime, pd.Timestamp, np.datetime64)):
        return pd.Timestamp(value).normalize()
    return pd.Timestamp(str(value)).normalize()
