"""The benchmark's peer: the headline marts re-computed with plain pandas.

What a user would write in a notebook instead of the project: read the raw
Parquet files with pandas and compute, from the definitions in
docs/spec/kpi_definitions.md, the rows of six marts: kpi_lead_generation,
kpi_pipeline_creation, kpi_new_business, kpi_arr_movements, kpi_retention and
kpi_rep_attainment. It shares no code with the models (no SQL, no dbt, no
macro) nor with the tests' row-by-row re-computations: vectorised pandas and
numpy on whole columns, money as integer cents (amounts and rates as integer
millionths, as the warehouse's decimal(28, 6)), so that every figure can be
compared with the marts to the cent (tests/test_peer.py).

It follows the project's default configuration (fiscal years from January,
USD reporting, bookings = new business and expansion, a 3-month default
ramp) and one CRM connection; the stages come from the raw ``stages`` table,
else from the project's seed.

``sales-kpis bench --peer`` runs it as its own process, on the same raw files
as the build (``python -m sales_kpis.devtools.peer RAW_DIR OUT_DIR
--as-of DATE``): wall time and peak memory beside the build's.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

REPORTING_CURRENCY = "USD"
BOOKINGS_TYPES = ("new_business", "expansion")
DEFAULT_RAMP_MONTHS = 3
GRAINS = ("week", "month", "quarter", "year")
MICRO = 1_000_000
MISSING = np.iinfo(np.int64).min  # a missing day number

MARTS = ("kpi_lead_generation", "kpi_pipeline_creation", "kpi_new_business", "kpi_arr_movements",
         "kpi_retention", "kpi_rep_attainment")


# --------------------------------------------------------------------------- days and periods
# Dates are int64 day numbers (days since 1970-01-01, a Thursday); MISSING for none.


def day_numbers(values: pd.Series) -> np.ndarray:
    """Day number of each timestamp or date (MISSING where null)."""
    days = pd.to_datetime(values).to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").astype(np.int64)
    return np.where(pd.isna(values).to_numpy(), MISSING, days)


def month_number(days: np.ndarray) -> np.ndarray:
    """Months since January 1970 of each day."""
    return np.asarray(days).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def month_first_day(months: np.ndarray) -> np.ndarray:
    return np.asarray(months).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def add_months(days: np.ndarray, months: np.ndarray | int) -> np.ndarray:
    """The same day `months` later, clamped to the last day of a shorter month."""
    days = np.asarray(days, dtype=np.int64)
    month = month_number(days)
    target = month + months
    day_of_month = days - month_first_day(month)
    target_length = month_first_day(target + 1) - month_first_day(target)
    return month_first_day(target) + np.minimum(day_of_month, target_length - 1)


def period_start(days: np.ndarray, grain: str) -> np.ndarray:
    """First day of the ISO week, month, quarter or year holding each day."""
    days = np.asarray(days, dtype=np.int64)
    if grain == "week":
        return days - (days + 3) % 7
    month = month_number(days)
    return month_first_day(month - month % {"month": 1, "quarter": 3, "year": 12}[grain])


def period_end(starts: np.ndarray, grain: str) -> np.ndarray:
    starts = np.asarray(starts, dtype=np.int64)
    if grain == "week":
        return starts + 6
    return month_first_day(month_number(starts) + {"month": 1, "quarter": 3, "year": 12}[grain]) - 1


def periods_from(first_day: int, last_day: int, grain: str) -> np.ndarray:
    """Starts of every period of a grain from the one holding first_day to the one holding last_day."""
    first, last = period_start(np.array([first_day]), grain)[0], period_start(np.array([last_day]), grain)[0]
    if grain == "week":
        return np.arange(first, last + 1, 7, dtype=np.int64)
    step = {"month": 1, "quarter": 3, "year": 12}[grain]
    return month_first_day(np.arange(month_number(np.array([first]))[0], month_number(np.array([last]))[0] + 1, step))


def as_dates(days: np.ndarray) -> np.ndarray:
    return np.asarray(days, dtype=np.int64).astype("datetime64[D]")


# --------------------------------------------------------------------------- exact money


def micros(values: pd.Series) -> np.ndarray:
    """A number column as integer millionths (the warehouse's decimal(28, 6)); null and negative = 0."""
    return np.rint(np.clip(values.fillna(0).to_numpy(dtype=np.float64), 0, None) * MICRO).astype(np.int64)


def cents_of_micros(values: np.ndarray) -> np.ndarray:
    """Millionths rounded to cents, half away from zero (the cast to decimal(18, 2)) for values >= 0."""
    return (np.asarray(values, dtype=np.int64) + 5_000) // 10_000


def product_cents(amount_micros: np.ndarray, rate_micros: np.ndarray, groups: np.ndarray | None = None):
    """Sum of amount x rate (both in millionths), exactly, rounded to cents once (per group when given).

    amount x rate has 12 decimals and can overflow int64, so the amount is
    split into whole units and millionths and the two partial products are
    summed apart: returns cents (and the group labels when grouped).
    """
    whole, fraction = np.divmod(np.asarray(amount_micros, dtype=np.int64), MICRO)
    coarse = whole * rate_micros  # in millionths
    fine = fraction * rate_micros  # in 1e-12
    if groups is not None:
        frame = pd.DataFrame({"group": groups, "coarse": coarse, "fine": fine}).groupby("group", sort=False).sum()
        labels, coarse, fine = frame.index.to_numpy(), frame["coarse"].to_numpy(), frame["fine"].to_numpy()
    carry, _ = np.divmod(fine + 5_000_000_000, MICRO)  # + half a cent, in 1e-12
    cents = (coarse + carry) // 10_000
    return (labels, cents) if groups is not None else cents


def money_divide(cents: np.ndarray, count: np.ndarray) -> np.ndarray:
    """cents / count rounded to cents, half away from zero (cents >= 0); NaN where count is 0."""
    cents, count = np.asarray(cents, dtype=np.int64), np.asarray(count, dtype=np.int64)
    safe = np.where(count == 0, 1, count)
    return np.where(count == 0, np.nan, (2 * cents + safe) // (2 * safe))


def ratio(numerator, denominator) -> np.ndarray:
    numerator, denominator = np.asarray(numerator, dtype=np.float64), np.asarray(denominator, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((denominator == 0) | np.isnan(denominator), np.nan, numerator / denominator)


def as_money(cents) -> list:
    """Cents as Decimals with two places (None where missing), for the published tables."""
    return [None if pd.isna(value) else Decimal(int(value)).scaleb(-2) for value in cents]


# --------------------------------------------------------------------------- reading the raw files


def read(raw_dir: Path, table: str, columns: list[str] | None = None) -> pd.DataFrame | None:
    path = Path(raw_dir) / f"{table}.parquet"
    if not path.is_file():
        if (Path(raw_dir) / f"{table}.csv").is_file():
            raise SystemExit(f"the peer reads Parquet raw files; {table} is CSV")
        return None
    return pd.read_parquet(path, columns=columns)


def not_deleted(frame: pd.DataFrame) -> np.ndarray:
    return ~frame["is_deleted"].fillna(False).astype(bool).to_numpy()


def clean_text(values: pd.Series, missing: str, upper: bool = False) -> pd.Series:
    text = values.astype("string").str.strip()
    text = text.str.upper() if upper else text.str.lower()
    return text.mask(text.isna() | (text == ""), missing)


def stages(raw_dir: Path) -> pd.DataFrame:
    frame = read(raw_dir, "stages")
    if frame is None:
        from sales_kpis.project import project_dir

        frame = pd.read_csv(project_dir() / "seeds" / "stages.csv")
    flags = {column: frame[column].astype(str).str.strip().str.lower().isin(["true", "1", "t"])
             for column in ("is_closed", "is_won")}
    return pd.DataFrame({"stage_name": frame["stage_name"], "stage_number": pd.to_numeric(frame["stage_number"]),
                         **flags})


class Data:
    """The raw tables as known at the as-of date, and the facts the marts share."""

    def __init__(self, raw_dir: Path, as_of: str):
        self.raw_dir = Path(raw_dir)
        self.as_of = int(np.datetime64(as_of, "D").astype(np.int64))
        self.cutoff = pd.Timestamp(as_of) + pd.Timedelta(days=1)
        self.stages = stages(self.raw_dir)
        self._leads()
        self._accounts()
        self._opportunities()
        self._users()

    def _leads(self) -> None:
        leads = read(self.raw_dir, "leads", ["lead_id", "lead_source", "created_at", "mql_at", "sql_at",
                                             "converted_at", "converted_opportunity_id", "is_deleted"])
        leads = leads[not_deleted(leads) & (leads["created_at"] < self.cutoff).to_numpy()]
        self.leads = pd.DataFrame({
            "lead_id": leads["lead_id"].to_numpy(),
            "lead_source": clean_text(leads["lead_source"], "unknown").to_numpy(),
            "converted_opportunity_id": leads["converted_opportunity_id"].to_numpy(),
            "created_on": day_numbers(leads["created_at"]),
            # a step after the as-of day has not happened yet
            **{step.replace("_at", "_on"): day_numbers(leads[step].where(leads[step] < self.cutoff))
               for step in ("mql_at", "sql_at", "converted_at")},
        })

    def _accounts(self) -> None:
        accounts = read(self.raw_dir, "accounts", ["account_id", "segment"])
        self.segment_of = pd.Series(accounts["segment"].fillna("unknown").to_numpy(), index=accounts["account_id"])

    def segments(self, account_ids: pd.Series) -> np.ndarray:
        return account_ids.map(self.segment_of).fillna("unknown").to_numpy()

    def _rates_at(self, currency: np.ndarray, days: np.ndarray) -> np.ndarray:
        """Rate in millionths at each day: the latest on or before it (1 for the reporting currency)."""
        rates = read(self.raw_dir, "exchange_rates")
        out = np.full(len(days), MICRO, dtype=np.int64)
        if rates is None:
            return out
        rates = pd.DataFrame({"currency": clean_text(rates["currency"], REPORTING_CURRENCY, upper=True).to_numpy(),
                              "day": day_numbers(rates["rate_date"]), "rate": micros(rates["rate_to_reporting"])})
        for code, series in rates[rates["currency"] != REPORTING_CURRENCY].groupby("currency"):
            series = series.sort_values("day")
            wanted = currency == code
            position = np.searchsorted(series["day"].to_numpy(), days[wanted], side="right") - 1
            if (position < 0).any():
                raise SystemExit(f"no {code} rate on or before {as_dates(days[wanted][position < 0].min())}")
            out[wanted] = series["rate"].to_numpy()[position]
        return out

    def _opportunities(self) -> None:
        opps = read(self.raw_dir, "opportunities", ["opportunity_id", "account_id", "owner_id", "lead_id",
                                                    "opportunity_type", "stage_name", "amount", "currency",
                                                    "created_at", "close_date", "is_deleted"])
        opps = opps[not_deleted(opps)]
        close = day_numbers(opps["close_date"])
        created = opps["created_at"].to_numpy(dtype="datetime64[us]")
        closed_first = created.astype("datetime64[D]").astype(np.int64) > close
        created = np.where(closed_first, close.astype("datetime64[D]").astype("datetime64[us]"), created)
        known = created < np.datetime64(self.cutoff.to_datetime64(), "us")
        opps, close, created = opps[known], close[known], created[known]
        currency = clean_text(opps["currency"], REPORTING_CURRENCY, upper=True).to_numpy()
        stage = opps[["stage_name"]].merge(self.stages, on="stage_name", how="left")
        closed_by_as_of = close <= self.as_of
        self.opps = pd.DataFrame({
            "opportunity_id": opps["opportunity_id"].to_numpy(),
            "account_id": opps["account_id"].to_numpy(),
            "owner_id": opps["owner_id"].to_numpy(),
            "opportunity_type": clean_text(opps["opportunity_type"], "").to_numpy(),
            "stage_name": opps["stage_name"].to_numpy(),
            "segment": self.segments(opps["account_id"]),
            "arr_cents": product_cents(micros(opps["amount"]), self._rates_at(currency, close)),
            "is_closed": stage["is_closed"].fillna(False).to_numpy(dtype=bool) & closed_by_as_of,
            "is_won": stage["is_won"].fillna(False).to_numpy(dtype=bool) & closed_by_as_of,
            "created_on": created.astype("datetime64[D]").astype(np.int64),
            "close_on": close,
        })
        self.opps["is_bookings_type"] = self.opps["opportunity_type"].isin(BOOKINGS_TYPES)
        self.opps["lead_source"] = self._lead_source_of_opportunities(opps["lead_id"])
        reached = self._stages_reached(created)
        for k in (1, 2):
            self.opps[f"stage{k}_on"] = reached[k]

    def _lead_source_of_opportunities(self, lead_ids: pd.Series) -> np.ndarray:
        """The source of each deal's lead: its lead_id when that lead exists, else the
        smallest lead naming it as converted; 'none' without a lead."""
        source_by_lead = pd.Series(self.leads["lead_source"].to_numpy(), index=self.leads["lead_id"].to_numpy())
        direct = lead_ids.map(source_by_lead).to_numpy()
        converting = self.leads[self.leads["converted_opportunity_id"].notna()].sort_values("lead_id")
        converting = converting.drop_duplicates("converted_opportunity_id")
        by_conversion = self.opps["opportunity_id"].map(
            pd.Series(converting["lead_source"].to_numpy(), index=converting["converted_opportunity_id"].to_numpy()))
        return pd.Series(direct).fillna(by_conversion).fillna("none").to_numpy()

    def _stages_reached(self, created: np.ndarray) -> dict[int, np.ndarray]:
        """Day each deal first entered a stage numbered >= 1 and >= 2 (MISSING if never, by the as-of date).
        Its history rows entered by then; a deal without any history entered its stage at creation."""
        history = read(self.raw_dir, "opportunity_stage_history", ["opportunity_id", "stage_name", "entered_at"])
        history = history[history["opportunity_id"].isin(self.opps["opportunity_id"])]
        has_history = self.opps["opportunity_id"].isin(history["opportunity_id"]).to_numpy()
        history = history[history["entered_at"] < self.cutoff]
        entries = pd.concat([
            pd.DataFrame({"opportunity_id": history["opportunity_id"].to_numpy(),
                          "stage_name": history["stage_name"].to_numpy(),
                          "entered_at": history["entered_at"].to_numpy(dtype="datetime64[us]")}),
            pd.DataFrame({"opportunity_id": self.opps["opportunity_id"].to_numpy()[~has_history],
                          "stage_name": self.opps["stage_name"].to_numpy()[~has_history],
                          "entered_at": created[~has_history]}),
        ], ignore_index=True).merge(self.stages[["stage_name", "stage_number"]], on="stage_name")
        reached = {}
        for k in (1, 2):
            first = entries[entries["stage_number"] >= k].groupby("opportunity_id")["entered_at"].min()
            days = self.opps["opportunity_id"].map(first)
            reached[k] = np.where(days.isna().to_numpy(), MISSING,
                                  days.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").astype(np.int64))
        return reached

    def _users(self) -> None:
        users = read(self.raw_dir, "users", ["user_id", "role", "annual_ote", "ramp_months", "hired_on", "left_on"])
        hired = day_numbers(users["hired_on"])
        users = users[(hired != MISSING) & (hired <= self.as_of)]
        hired = day_numbers(users["hired_on"])
        left = day_numbers(users["left_on"])
        ramp = users["ramp_months"].fillna(DEFAULT_RAMP_MONTHS).to_numpy(dtype=np.int64)
        self.users = pd.DataFrame({
            "user_id": users["user_id"].to_numpy(),
            "role": clean_text(users["role"], "").to_numpy(),
            "annual_ote_micros": np.rint(users["annual_ote"].to_numpy(dtype=np.float64) * MICRO),  # NaN stays
            "hired_on": hired,
            "left_on": np.where((left != MISSING) & (left <= self.as_of), left, MISSING),  # leaving later = employed
            "ramp_end_on": add_months(hired, ramp),
        })


# --------------------------------------------------------------------------- the funnel


def active_sdrs(data: Data, starts: np.ndarray, grain: str) -> np.ndarray:
    """SDRs employed on any day of each period (hired by its last day, not left before its first)."""
    sdrs = data.users[data.users["role"] == "sdr"]
    hired, left = sdrs["hired_on"].to_numpy(), sdrs["left_on"].to_numpy()
    ends = period_end(starts, grain)
    employed = (hired[None, :] <= ends[:, None]) & ((left[None, :] == MISSING) | (left[None, :] >= starts[:, None]))
    return employed.sum(axis=1)


def lead_generation(data: Data) -> pd.DataFrame:
    leads = data.leads
    sources, source_code = np.unique(leads["lead_source"].to_numpy(dtype=object).astype(str), return_inverse=True)
    events = {"created_on": "leads_created", "mql_on": "mqls", "sql_on": "sqls", "converted_on": "leads_converted"}
    first_event = min(int(leads[column][leads[column] != MISSING].min()) for column in events
                      if (leads[column] != MISSING).any())
    frames = []
    for grain in GRAINS:
        starts = periods_from(first_event, data.as_of, grain)
        index = pd.MultiIndex.from_product([starts, np.arange(len(sources))], names=["period_start", "source"])
        table = pd.DataFrame(index=index)
        for column, measure in events.items():
            happened = leads[column].to_numpy() != MISSING
            keys = [period_start(leads[column].to_numpy()[happened], grain), source_code[happened]]
            if column == "created_on":
                cohort = pd.DataFrame({"leads_created": 1,
                                       **{name: (leads[step].to_numpy() != MISSING).astype(np.int64)
                                          for name, step in (("cohort_mqls", "mql_on"), ("cohort_sqls", "sql_on"),
                                                             ("cohort_converted", "converted_on"))}})
                table = table.join(cohort.groupby(keys).sum().rename_axis(["period_start", "source"]))
            else:
                counts = pd.Series(1, index=np.arange(happened.sum())).groupby(keys).sum()
                table = table.join(counts.rename(measure).rename_axis(["period_start", "source"]))
        table = table.fillna(0).astype(np.int64).reset_index()
        table["period_grain"] = grain
        table["active_sdrs"] = pd.Series(active_sdrs(data, starts, grain), index=starts).reindex(
            table["period_start"]).to_numpy()
        if grain == "month":
            table = table.sort_values(["source", "period_start"])
            table["previous_month_sqls"] = table.groupby("source")["sqls"].shift(1)
        else:
            table["previous_month_sqls"] = np.nan
        frames.append(table)
    out = pd.concat(frames, ignore_index=True)
    out["lead_source"] = sources[out["source"].to_numpy()]
    out["sqls_change"] = out["sqls"] - out["previous_month_sqls"]
    out["lead_to_sql_rate"] = ratio(out["cohort_sqls"], out["leads_created"])
    out["sqls_per_sdr"] = ratio(out["sqls"], out["active_sdrs"])
    out["lead_velocity_rate"] = ratio(out["sqls_change"], out["previous_month_sqls"])
    return _with_period_columns(out, data).drop(columns="source")


def _with_period_columns(frame: pd.DataFrame, data: Data) -> pd.DataFrame:
    """period_end and is_complete from period_grain and period_start (day numbers), then dates."""
    starts = frame["period_start"].to_numpy(dtype=np.int64)
    ends = np.zeros(len(frame), dtype=np.int64)
    for grain in GRAINS:
        rows = frame["period_grain"].to_numpy() == grain
        ends[rows] = period_end(starts[rows], grain)
    frame = frame.copy()
    frame["period_start"], frame["period_end"] = as_dates(starts), as_dates(ends)
    frame["is_complete"] = ends <= data.as_of
    return frame


def _per_grain(frame: pd.DataFrame, day_column: str, keys: list[str], sums: list[str],
               grains=GRAINS) -> pd.DataFrame:
    """Sums of columns per period grain, period start (of day_column) and keys."""
    out = []
    for grain in grains:
        grouped = frame.assign(period_start=period_start(frame[day_column].to_numpy(), grain))
        grouped = grouped.groupby(["period_start"] + keys, dropna=False)[sums].sum().reset_index()
        grouped["period_grain"] = grain
        out.append(grouped)
    return pd.concat(out, ignore_index=True)


def pipeline_creation(data: Data) -> pd.DataFrame:
    opps = data.opps[data.opps["is_bookings_type"]]
    parts = []
    for k in (1, 2):
        reached = opps[opps[f"stage{k}_on"] != MISSING]
        part = pd.DataFrame({
            "day": reached[f"stage{k}_on"].to_numpy(), "segment": reached["segment"].to_numpy(),
            "lead_source": reached["lead_source"].to_numpy(),
            "stage1_opportunities": int(k == 1), "stage1_pipeline_arr": reached["arr_cents"].to_numpy() * (k == 1),
            "stage1_cohort_reached_stage2": ((reached["stage2_on"] != MISSING) & (k == 1)).to_numpy(dtype=np.int64),
            "stage2_opportunities": int(k == 2), "stage2_pipeline_arr": reached["arr_cents"].to_numpy() * (k == 2),
        })
        parts.append(part)
    measures = ["stage1_opportunities", "stage1_pipeline_arr", "stage1_cohort_reached_stage2",
                "stage2_opportunities", "stage2_pipeline_arr"]
    out = _per_grain(pd.concat(parts, ignore_index=True), "day", ["segment", "lead_source"], measures)
    out["stage1_to_stage2_rate"] = ratio(out["stage1_cohort_reached_stage2"], out["stage1_opportunities"])
    return _with_period_columns(out, data)


# --------------------------------------------------------------------------- revenue


def account_product_arr(data: Data) -> pd.DataFrame:
    """ARR in cents per account, product and month (number) at every month end on or before the as-of
    date: the active subscriptions' arr converted at the month end's rate, summed, rounded once; > 0 only."""
    subs = read(data.raw_dir, "subscriptions", ["account_id", "product_id", "currency", "arr", "starts_on", "ends_on"])
    starts, ends = day_numbers(subs["starts_on"]), day_numbers(subs["ends_on"])
    keep = (starts != MISSING) & (starts <= data.as_of)
    subs, starts, ends = subs[keep], starts[keep], ends[keep]
    last_month = month_number(np.array([data.as_of + 1]))[0] - 1  # the last month whose end is on or before as-of
    first = month_number(starts)  # a subscription is active at its first month's end
    last = np.minimum(np.where(ends == MISSING, last_month, month_number(ends) - 1), last_month)  # ends_on > month end
    months = np.maximum(last - first + 1, 0)
    row = np.repeat(np.arange(len(subs)), months)
    month = first[row] + (np.arange(len(row)) - np.repeat(np.cumsum(months) - months, months))
    currency = clean_text(subs["currency"], REPORTING_CURRENCY, upper=True).to_numpy()[row]
    rates = data._rates_at(currency, month_first_day(month + 1) - 1)
    account_codes, accounts = pd.factorize(subs["account_id"])
    product_codes, products = pd.factorize(subs["product_id"], use_na_sentinel=False)
    months_span = int(month.max() - month.min() + 1) if len(month) else 1
    key = (account_codes[row].astype(np.int64) * len(products) + product_codes[row]) * months_span + (month - month.min())
    labels, cents = product_cents(micros(subs["arr"])[row], rates, key)
    positive = cents > 0
    labels, cents = labels[positive], cents[positive]
    pair, month_offset = np.divmod(labels, months_span)
    account, product = np.divmod(pair, len(products))
    return pd.DataFrame({"account_id": np.asarray(accounts)[account], "product_id": np.asarray(products)[product],
                         "month": month_offset + (month.min() if len(month) else 0), "arr_cents": cents})


def account_arr(data: Data, product_arr: pd.DataFrame) -> pd.DataFrame:
    arr = product_arr.groupby(["account_id", "month"], sort=True)["arr_cents"].sum().reset_index()
    arr["segment"] = data.segments(arr["account_id"])
    return arr


def account_movements(data: Data, arr: pd.DataFrame) -> pd.DataFrame:
    """One row per account and month end with ARR now or at the previous month end, classified."""
    arr = arr.sort_values(["account_id", "month"])
    account, month, cents = arr["account_id"].to_numpy(), arr["month"].to_numpy(), arr["arr_cents"].to_numpy()
    same_before = np.r_[False, account[1:] == account[:-1]]
    same_after = np.r_[account[1:] == account[:-1], False]
    adjacent_before = same_before & (np.r_[MISSING, month[:-1]] == month - 1)
    adjacent_after = same_after & (np.r_[month[1:], MISSING] == month + 1)
    first_month = arr.groupby("account_id")["month"].transform("min").to_numpy()
    last_month = month_number(np.array([data.as_of + 1]))[0] - 1
    held = pd.DataFrame({"account_id": account, "segment": arr["segment"].to_numpy(), "month": month,
                         "previous": np.where(adjacent_before, np.r_[0, cents[:-1]], 0), "current": cents,
                         "first_month": first_month})
    gone = ~adjacent_after & (month + 1 <= last_month)
    churned = pd.DataFrame({"account_id": account[gone], "segment": held["segment"].to_numpy()[gone],
                            "month": month[gone] + 1, "previous": cents[gone], "current": 0,
                            "first_month": first_month[gone]})
    moves = pd.concat([held, churned], ignore_index=True)
    previous, current = moves["previous"].to_numpy(), moves["current"].to_numpy()
    moves["type"] = np.select(
        [(previous == 0) & (current > 0) & (moves["month"].to_numpy() == moves["first_month"].to_numpy()),
         (previous == 0) & (current > 0), (previous > 0) & (current == 0), current > previous, current < previous],
        ["new", "reactivation", "churn", "expansion", "contraction"], "no_change")
    return moves


def arr_movements(data: Data, moves: pd.DataFrame) -> pd.DataFrame:
    kind, previous, current = moves["type"].to_numpy(), moves["previous"].to_numpy(), moves["current"].to_numpy()
    amounts = pd.DataFrame({
        "segment": moves["segment"].to_numpy(), "month": moves["month"].to_numpy(),
        "starting_arr": previous, "new_arr": np.where(kind == "new", current, 0),
        "reactivation_arr": np.where(kind == "reactivation", current, 0),
        "expansion_arr": np.where(kind == "expansion", current - previous, 0),
        "contraction_arr": np.where(kind == "contraction", previous - current, 0),
        "churned_arr": np.where(kind == "churn", previous, 0), "ending_arr": current,
        "starting_customers": (previous > 0).astype(np.int64),
        **{column: (kind == movement).astype(np.int64) for movement, column in (
            ("new", "new_customers"), ("reactivation", "reactivated_customers"), ("expansion", "expanded_customers"),
            ("contraction", "contracted_customers"), ("churn", "churned_customers"))},
        "ending_customers": (current > 0).astype(np.int64),
    })
    monthly = amounts.groupby(["segment", "month"]).sum()
    last_month = month_number(np.array([data.as_of + 1]))[0] - 1
    months = np.arange(amounts["month"].min(), last_month + 1)
    dense = pd.MultiIndex.from_product([sorted(amounts["segment"].unique()), months], names=["segment", "month"])
    monthly = monthly.reindex(dense, fill_value=0).reset_index()
    first_of_period = ["starting_arr", "starting_customers"]
    last_of_period = ["ending_arr", "ending_customers"]
    flows = [column for column in monthly.columns if column not in ("segment", "month", *first_of_period, *last_of_period)]
    out = []
    for grain in ("month", "quarter", "year"):
        table = monthly.assign(period_start=period_start(month_first_day(monthly["month"].to_numpy()), grain))
        grouped = table.sort_values("month").groupby(["period_start", "segment"])
        rows = grouped[flows].sum()
        rows[first_of_period] = grouped[first_of_period].first()
        rows[last_of_period] = grouped[last_of_period].last()
        rows["months"] = grouped.size()
        rows["measured_through"] = as_dates(month_first_day(grouped["month"].max().to_numpy() + 1) - 1)
        rows = rows.reset_index()
        rows["period_grain"] = grain
        out.append(rows)
    out = pd.concat(out, ignore_index=True)
    out["net_new_arr"] = (out["new_arr"] + out["reactivation_arr"] + out["expansion_arr"] - out["contraction_arr"]
                          - out["churned_arr"])
    return _with_period_columns(out, data)


def retention(data: Data, arr: pd.DataFrame) -> pd.DataFrame:
    """Per month end and segment: the accounts with ARR twelve months earlier and what they have now."""
    base = arr.assign(month=arr["month"] + 12).rename(columns={"arr_cents": "base_arr"})
    now = base.merge(arr[["account_id", "month", "arr_cents"]], on=["account_id", "month"], how="left")
    now["retained_arr"] = now["arr_cents"].fillna(0).astype(np.int64)
    now["gross_retained_arr"] = np.minimum(now["retained_arr"], now["base_arr"])
    now["retained_customers"] = (now["retained_arr"] > 0).astype(np.int64)
    now["base_customers"] = 1
    measures = ["base_arr", "retained_arr", "gross_retained_arr", "base_customers", "retained_customers"]
    by_segment = now.groupby(["segment", "month"])[measures].sum()
    last_month = month_number(np.array([data.as_of + 1]))[0] - 1
    months = np.arange(arr["month"].min() + 12, last_month + 1)
    dense = pd.MultiIndex.from_product([sorted(arr["segment"].unique()), months], names=["segment", "month"])
    out = by_segment.reindex(dense, fill_value=0).reset_index()
    out["period_grain"] = "month"
    out["period_start"] = month_first_day(out["month"].to_numpy())
    out["base_month_end"] = as_dates(month_first_day(out["month"].to_numpy() - 11) - 1)
    out["net_revenue_retention"] = ratio(out["retained_arr"], out["base_arr"])
    out["gross_revenue_retention"] = ratio(out["gross_retained_arr"], out["base_arr"])
    out["logo_retention"] = ratio(out["retained_customers"], out["base_customers"])
    return _with_period_columns(out.drop(columns="month"), data)


def new_business(data: Data, arr: pd.DataFrame) -> pd.DataFrame:
    opps = data.opps
    closed = opps[(opps["opportunity_type"] == "new_business") & opps["is_closed"]]
    won = closed["is_won"].to_numpy()
    deals = pd.DataFrame({
        "day": closed["close_on"].to_numpy(), "segment": closed["segment"].to_numpy(),
        "won_opportunities": won.astype(np.int64), "lost_opportunities": (~won).astype(np.int64),
        "closed_opportunities": 1, "won_arr": np.where(won, closed["arr_cents"], 0),
        "lost_arr": np.where(won, 0, closed["arr_cents"]), "closed_arr": closed["arr_cents"].to_numpy(),
        "total_sales_cycle_days": np.where(won, closed["close_on"] - closed["created_on"], 0),
    })
    by_period = _per_grain(deals, "day", ["segment"], [c for c in deals.columns if c not in ("day", "segment")])
    medians = []
    won_deals = deals[won].assign(cycle=deals["total_sales_cycle_days"][won])
    for grain in GRAINS:
        grouped = won_deals.assign(period_start=period_start(won_deals["day"].to_numpy(), grain))
        median = grouped.groupby(["period_start", "segment"])["cycle"].median().rename("median_sales_cycle_days")
        medians.append(median.reset_index().assign(period_grain=grain))
    by_period = by_period.merge(pd.concat(medians), on=["period_grain", "period_start", "segment"], how="left")

    winners = opps[opps["is_won"] & opps["account_id"].notna()]
    first_wins = winners.groupby(["account_id", "segment"])["close_on"].min().reset_index()
    logos = _per_grain(first_wins.assign(new_logos=1), "close_on", ["segment"], ["new_logos"])

    # ARR and paying accounts at the period end: the period's last month end, or the last one
    # on or before the as-of date for the current period.
    at_month_end = arr.groupby(["month", "segment"]).agg(arr_at_period_end=("arr_cents", "sum"),
                                                         paying_accounts=("arr_cents", "size")).reset_index()
    last_month = month_number(np.array([data.as_of + 1]))[0] - 1
    arpa = []
    for grain in ("month", "quarter", "year"):
        starts = periods_from(month_first_day(np.array([arr["month"].min()]))[0], data.as_of, grain)
        end_month = np.minimum(month_number(period_end(starts, grain)), last_month)
        periods = pd.DataFrame({"period_start": starts, "month": end_month})
        periods = periods[end_month >= month_number(starts)]
        arpa.append(periods.merge(at_month_end, on="month").assign(period_grain=grain))
    arpa = pd.concat(arpa, ignore_index=True)
    arpa["arpa_month_end"] = as_dates(month_first_day(arpa.pop("month").to_numpy() + 1) - 1)

    keys = ["period_grain", "period_start", "segment"]
    out = pd.concat([by_period[keys], logos[keys], arpa[keys]]).drop_duplicates()
    out = out.merge(by_period, on=keys, how="left").merge(logos, on=keys, how="left").merge(arpa, on=keys, how="left")
    counts = ["won_opportunities", "lost_opportunities", "closed_opportunities", "won_arr", "lost_arr", "closed_arr",
              "total_sales_cycle_days", "new_logos"]
    out[counts] = out[counts].fillna(0).astype(np.int64)
    out["win_rate"] = ratio(out["won_opportunities"], out["closed_opportunities"])
    out["win_rate_arr"] = ratio(out["won_arr"], out["closed_arr"])
    out["new_business_arr"] = out["won_arr"]
    out["avg_deal_size"] = money_divide(out["won_arr"], out["won_opportunities"])
    out["avg_sales_cycle_days"] = ratio(out["total_sales_cycle_days"], out["won_opportunities"])
    paying = out["paying_accounts"].fillna(0).to_numpy(dtype=np.int64)
    out["arpa"] = money_divide(out["arr_at_period_end"].fillna(0).to_numpy(dtype=np.int64), paying)
    return _with_period_columns(out, data)


# --------------------------------------------------------------------------- performance


def rep_attainment(data: Data) -> pd.DataFrame:
    """One row per quota: the owner's bookings-type deals closed, and reaching stage 1, within it."""
    quotas = read(data.raw_dir, "quotas", ["user_id", "period_start", "period_end", "quota_amount"])
    quotas = pd.DataFrame({"quota": np.arange(len(quotas)), "user_id": quotas["user_id"].to_numpy(),
                           "start": day_numbers(quotas["period_start"]), "end": day_numbers(quotas["period_end"]),
                           "quota_micros": micros(quotas["quota_amount"])})
    opps = data.opps[data.opps["is_bookings_type"] & data.opps["owner_id"].notna()]
    closed = opps[opps["is_closed"]]
    won = closed["is_won"].to_numpy()
    activity = pd.concat([
        pd.DataFrame({"user_id": closed["owner_id"].to_numpy(), "day": closed["close_on"].to_numpy(),
                      "won_opportunities": won.astype(np.int64), "closed_opportunities": 1,
                      "bookings_arr": np.where(won, closed["arr_cents"], 0),
                      "new_business_arr": np.where(won & (closed["opportunity_type"] == "new_business"),
                                                   closed["arr_cents"], 0)}),
        pd.DataFrame({"user_id": opps["owner_id"].to_numpy()[opps["stage1_on"] != MISSING],
                      "day": opps["stage1_on"].to_numpy()[opps["stage1_on"] != MISSING],
                      "pipeline_created_opportunities": 1,
                      "pipeline_created_arr": opps["arr_cents"].to_numpy()[opps["stage1_on"] != MISSING]}),
    ], ignore_index=True).fillna(0)
    measures = ["won_opportunities", "closed_opportunities", "bookings_arr", "new_business_arr",
                "pipeline_created_opportunities", "pipeline_created_arr"]
    activity = activity.groupby(["user_id", "day"])[measures].sum().reset_index()
    matched = quotas[["quota", "user_id", "start", "end"]].merge(activity, on="user_id")
    matched = matched[(matched["day"] >= matched["start"]) & (matched["day"] <= matched["end"])]
    out = quotas.join(matched.groupby("quota")[measures].sum(), on="quota")
    out[measures] = out[measures].fillna(0).astype(np.int64)
    out = out.merge(data.users, on="user_id", how="left")
    known = out["hired_on"].notna().to_numpy()
    start, end = out["start"].to_numpy(), out["end"].to_numpy()
    hired = out["hired_on"].fillna(0).to_numpy(dtype=np.int64)
    left = out["left_on"].fillna(MISSING).to_numpy(dtype=np.int64)
    # months in the period: whole calendar months from its start, plus the rest as a share of
    # the month it falls in
    whole = whole_months(start, end + 1)
    anchor = add_months(start, whole)
    remaining, month_days = end + 1 - anchor, add_months(start, whole + 1) - anchor
    # period OTE = annual OTE x months in the period / 12, rounded to cents (half away from zero)
    ote_micros = out["annual_ote_micros"].to_numpy(dtype=np.float64)
    has_ote = ~np.isnan(ote_micros)
    numerator = np.where(has_ote, ote_micros, 0).astype(np.int64) * (whole * month_days + remaining)
    denominator = 12 * month_days * 10_000
    period_ote = np.where(has_ote, (2 * numerator + denominator) // (2 * denominator), np.nan)
    quota_cents = cents_of_micros(out["quota_micros"].to_numpy())
    bookings = out["bookings_arr"].to_numpy()
    return pd.DataFrame({
        "user_id": out["user_id"], "period_start": as_dates(start), "period_end": as_dates(end),
        "quota_amount": quota_cents, "bookings_arr": bookings, "new_business_arr": out["new_business_arr"],
        "won_opportunities": out["won_opportunities"], "closed_opportunities": out["closed_opportunities"],
        "attainment": ratio(bookings / 100, out["quota_micros"] / MICRO),
        "win_rate": ratio(out["won_opportunities"], out["closed_opportunities"]),
        "avg_deal_size": money_divide(bookings, out["won_opportunities"]),
        "pipeline_created_opportunities": out["pipeline_created_opportunities"],
        "pipeline_created_arr": out["pipeline_created_arr"],
        "period_ote": period_ote,
        "tenure_months": np.where(known, np.where(start <= hired, 0, whole_months(hired, start)), np.nan),
        "is_at_quota": (out["quota_micros"] > 0).to_numpy() & (bookings * 10_000 >= out["quota_micros"].to_numpy()),
        "is_ramping": np.where(known, start < out["ramp_end_on"].fillna(0).to_numpy(), None),
        "has_left_in_period": (left != MISSING) & (left >= start) & (left <= end),
        "is_complete": end <= data.as_of,
    })


def whole_months(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """The largest n with start + n months <= end."""
    n = month_number(end) - month_number(start)
    return n - (add_months(start, n) > end)


# --------------------------------------------------------------------------- the run


def compute(raw_dir: Path, as_of: str, timings: dict[str, float] | None = None) -> dict[str, pd.DataFrame]:
    """Every mart of the peer, as DataFrames (money in cents, dates as datetime64[D])."""
    timings = {} if timings is None else timings
    started = time.perf_counter()
    data = Data(raw_dir, as_of)
    timings["read_and_prepare"] = time.perf_counter() - started
    marts: dict[str, pd.DataFrame] = {}

    def step(name: str, function, *args):
        begun = time.perf_counter()
        result = function(*args)
        timings[name] = time.perf_counter() - begun
        return result

    marts["kpi_lead_generation"] = step("kpi_lead_generation", lead_generation, data)
    marts["kpi_pipeline_creation"] = step("kpi_pipeline_creation", pipeline_creation, data)
    product_arr = step("account_product_arr", account_product_arr, data)
    arr = account_arr(data, product_arr)
    moves = step("account_movements", account_movements, data, arr)
    marts["kpi_arr_movements"] = step("kpi_arr_movements", arr_movements, data, moves)
    marts["kpi_retention"] = step("kpi_retention", retention, data, arr)
    marts["kpi_new_business"] = step("kpi_new_business", new_business, data, arr)
    marts["kpi_rep_attainment"] = step("kpi_rep_attainment", rep_attainment, data)
    return marts


def published(marts: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The marts as they would be published: money columns as Decimals with two places."""
    money = {
        "kpi_pipeline_creation": ["stage1_pipeline_arr", "stage2_pipeline_arr"],
        "kpi_new_business": ["won_arr", "lost_arr", "closed_arr", "new_business_arr", "avg_deal_size",
                             "arr_at_period_end", "arpa"],
        "kpi_arr_movements": ["starting_arr", "new_arr", "reactivation_arr", "expansion_arr", "contraction_arr",
                              "churned_arr", "ending_arr", "net_new_arr"],
        "kpi_retention": ["base_arr", "retained_arr", "gross_retained_arr"],
        "kpi_rep_attainment": ["quota_amount", "bookings_arr", "new_business_arr", "avg_deal_size",
                               "pipeline_created_arr", "period_ote"],
    }
    out = {}
    for name, frame in marts.items():
        frame = frame.copy()
        for column in money.get(name, []):
            frame[column] = as_money(frame[column])
        out[name] = frame.reset_index(drop=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw_dir", type=Path)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--as-of", required=True)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    timings: dict[str, float] = {}
    marts = published(compute(args.raw_dir, args.as_of, timings))
    args.out_dir.mkdir(parents=True, exist_ok=True)
    rows = {}
    for name, frame in marts.items():
        frame.to_parquet(args.out_dir / f"{name}.parquet", index=False)
        rows[name] = len(frame)
    summary = {"seconds": round(time.perf_counter() - started, 3), "steps": {k: round(v, 3) for k, v in timings.items()},
               "rows": rows}
    (args.out_dir / "peer.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
