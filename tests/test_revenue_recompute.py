"""Re-computes the revenue KPIs (families 3, 4 and 5) in plain Python from the raw files.

An independent reading of kpi_definitions.md: pandas only to load the raw
parquet/CSV files, then plain Python with exact decimals (no SQL, no dbt
intermediate). Every headline figure of kpi_new_business, kpi_arr_movements,
kpi_retention, kpi_org_attainment, kpi_forecast and kpi_forecast_backtest is
compared with the warehouse: counts exactly, money to the cent, rates to 1e-9.
Figures that go through a float in the warehouse (the pipeline weights, the
ratios) are compared to 1e-9 relative, or to half a cent for float-weighted
money.

Every test runs twice: on the session's warehouse (`built_warehouse`, parquet
input, as of a month end, fiscal years from January) and on the same company
delivered as CSV files, built as of a mid-month day with fiscal years from
July (`mid_month_warehouse`, tests/conftest.py), where the as-of month is
measured to date. SALES_KPIS_TEST_LEADS=100000 runs the same comparison on a
bigger dataset.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest

from sales_kpis.dates import add_months, month_start

CENT = Decimal("0.01")
MICRO = Decimal("0.000001")
REPORTING = "USD"
BOOKINGS_TYPES = ("new_business", "expansion")
WIN_RATE_WINDOW_MONTHS = 12
BACKTEST_MONTHS = 24
PIPELINE_TYPES = {
    "new_business_arr": ("new_business",),
    "bookings_arr": BOOKINGS_TYPES,
    "net_new_arr": BOOKINGS_TYPES,
    "expansion_arr": ("expansion",),
}


# --------------------------------------------------------------------------- exact arithmetic and dates


def dec(value) -> Decimal:
    """A raw number as the warehouse's decimal(28, 6)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return Decimal(0)
    return Decimal(repr(float(value))).quantize(MICRO, rounding=ROUND_HALF_UP)


def money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def month_end(day: dt.date) -> dt.date:
    return add_months(month_start(day), 1) - dt.timedelta(days=1)


def months_between(first: dt.date, last: dt.date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month


def period_start(grain: str, day: dt.date, fiscal_start: int = 1) -> dt.date:
    """The first day of the week, month, fiscal quarter or fiscal year (from month fiscal_start) containing day."""
    if grain == "week":
        return day - dt.timedelta(days=day.weekday())
    if grain == "month":
        return month_start(day)
    months_into_year = (day.month - fiscal_start) % 12
    return add_months(month_start(day), -(months_into_year % 3 if grain == "quarter" else months_into_year))


def period_end(grain: str, start: dt.date) -> dt.date:
    if grain == "week":
        return start + dt.timedelta(days=6)
    return add_months(start, {"month": 1, "quarter": 3, "year": 12}[grain]) - dt.timedelta(days=1)


def to_date(value) -> dt.date | None:
    if value is None or (not isinstance(value, (dt.date, str)) and pd.isna(value)):
        return None
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    if isinstance(value, pd.Timestamp) or isinstance(value, dt.datetime):
        return dt.date(value.year, value.month, value.day)
    return value


def to_ts(value) -> pd.Timestamp | None:
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value)


def blank(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or (
        not isinstance(value, str) and pd.isna(value))


def currency_of(value) -> str:
    return REPORTING if blank(value) or not str(value).strip() else str(value).strip().upper()


# --------------------------------------------------------------------------- the raw data, read independently


def read_table(raw_dir: Path, name: str) -> pd.DataFrame | None:
    for suffix, reader in ((".parquet", pd.read_parquet), (".csv", pd.read_csv)):
        path = raw_dir / f"{name}{suffix}"
        if path.exists():
            return reader(path)
    return None


def records(frame: pd.DataFrame | None) -> list[dict]:
    if frame is None:
        return []
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


@dataclass
class Raw:
    as_of: dt.date
    fiscal_start: int
    accounts: dict[str, dict]
    subscriptions: list[dict]
    opportunities: list[dict]
    history: list[dict]
    leads: list[dict]
    targets: list[dict]
    stages: dict[str, dict]
    rates: dict[str, list[tuple[dt.date, Decimal]]] = field(default_factory=dict)

    @property
    def cutoff(self) -> pd.Timestamp:
        return pd.Timestamp(self.as_of + dt.timedelta(days=1))

    def rate(self, currency: str, day: dt.date) -> Decimal:
        if currency == REPORTING:
            return Decimal(1)
        best = None
        for rate_date, rate in self.rates[currency]:
            if rate_date <= day:
                best = rate
            else:
                break
        assert best is not None, f"no {currency} rate on or before {day}"
        return best

    def segment(self, account_id) -> str:
        account = self.accounts.get(account_id)
        return account["segment"] if account and not blank(account["segment"]) else "unknown"


def load_raw(raw_dir: Path, project: Path, as_of: dt.date, fiscal_start: int = 1) -> Raw:
    stages_frame = read_table(raw_dir, "stages")
    if stages_frame is None:
        stages_frame = pd.read_csv(project / "seeds" / "stages.csv")
    stages = {}
    for row in records(stages_frame):
        stages[row["stage_name"]] = {
            "number": None if blank(row["stage_number"]) else int(row["stage_number"]),
            "closed": str(row["is_closed"]).lower() == "true",
            "won": str(row["is_won"]).lower() == "true",
        }
    rates: dict[str, list] = defaultdict(list)
    for row in records(read_table(raw_dir, "exchange_rates")):
        rates[currency_of(row["currency"])].append((to_date(row["rate_date"]), dec(row["rate_to_reporting"])))
    for series in rates.values():
        series.sort()
    not_deleted = lambda rows: [row for row in rows if not (row.get("is_deleted") in (True, "true", "True"))]  # noqa: E731
    return Raw(
        as_of=as_of,
        fiscal_start=fiscal_start,
        accounts={row["account_id"]: row for row in records(read_table(raw_dir, "accounts"))},
        subscriptions=records(read_table(raw_dir, "subscriptions")),
        opportunities=not_deleted(records(read_table(raw_dir, "opportunities"))),
        history=records(read_table(raw_dir, "opportunity_stage_history")),
        leads=not_deleted(records(read_table(raw_dir, "leads"))),
        targets=records(read_table(raw_dir, "targets")),
        stages=stages,
        rates=dict(rates),
    )


# --------------------------------------------------------------------------- family 4: month-end ARR and movements


def snapshot_days(first: dt.date, as_of: dt.date) -> list[dt.date]:
    """The snapshot day of each month from the month of `first` to the as-of month: its month end, or the
    as-of date itself for the month containing it (the month is measured to date)."""
    days, day = [], month_start(first)
    while day <= as_of:
        days.append(min(month_end(day), as_of))
        day = add_months(day, 1)
    return days


def product_arr(raw: Raw) -> dict[tuple, Decimal]:
    """(account, product, snapshot day) -> ARR > 0, each subscription converted on the snapshot day, rounded per key."""
    exact: dict[tuple, Decimal] = defaultdict(Decimal)
    for sub in raw.subscriptions:
        arr = dec(sub["arr"])
        starts, ends = to_date(sub["starts_on"]), to_date(sub["ends_on"])
        if arr <= 0 or starts > raw.as_of or (ends is not None and ends <= starts):
            continue
        currency = currency_of(sub["currency"])
        for end in snapshot_days(starts, raw.as_of):
            if starts <= end and (ends is None or end < ends):
                exact[(sub["account_id"], sub["product_id"], end)] += arr * raw.rate(currency, end)
    rounded = {key: money(value) for key, value in exact.items()}
    return {key: value for key, value in rounded.items() if value > 0}


def account_arr(products: dict[tuple, Decimal]) -> dict[tuple, Decimal]:
    totals: dict[tuple, Decimal] = defaultdict(Decimal)
    for (account, _product, end), value in products.items():
        totals[(account, end)] += value
    return dict(totals)


def classify(arr_by_key: dict[tuple, Decimal], as_of: dt.date) -> list[dict]:
    """One movement per key and month (at its snapshot day) with ARR then or at the previous month end."""
    series: dict = defaultdict(dict)
    for key, value in arr_by_key.items():
        series[key[:-1]][key[-1]] = value
    out = []
    for key, months in series.items():
        first = min(months)
        for end in snapshot_days(first, as_of):
            previous = months.get(month_end(add_months(month_start(end), -1)), Decimal(0))
            current = months.get(end, Decimal(0))
            if previous == 0 and current == 0:
                continue
            if previous == 0:
                kind = "new" if end == first else "reactivation"
            elif current == 0:
                kind = "churn"
            elif current > previous:
                kind = "expansion"
            elif current < previous:
                kind = "contraction"
            else:
                kind = "no_change"
            out.append({"key": key, "month_end": end, "type": kind, "previous": previous, "current": current})
    return out


def movement_amounts(movement: dict) -> dict[str, Decimal]:
    kind, previous, current = movement["type"], movement["previous"], movement["current"]
    zero = Decimal(0)
    return {
        "starting_arr": previous,
        "new_arr": current if kind == "new" else zero,
        "reactivation_arr": current if kind == "reactivation" else zero,
        "expansion_arr": current - previous if kind == "expansion" else zero,
        "contraction_arr": previous - current if kind == "contraction" else zero,
        "churned_arr": previous if kind == "churn" else zero,
        "ending_arr": current,
        "net_new_arr": current - previous,
    }


# --------------------------------------------------------------------------- opportunities as the settled readings define them


@dataclass
class Deal:
    opportunity_id: str
    account_id: str | None
    product_id: str | None
    segment: str
    opportunity_type: str
    created_at: pd.Timestamp
    close_date: dt.date | None  # None: an open deal without an expected close date
    arr: Decimal
    is_closed: bool
    is_won: bool
    entries: list[tuple[pd.Timestamp, str]]

    @property
    def created_on(self) -> dt.date:
        return to_date(self.created_at)

    @property
    def sales_cycle_days(self) -> int:
        return (self.close_date - self.created_on).days


def deals(raw: Raw) -> list[Deal]:
    by_opportunity = defaultdict(list)
    for row in raw.history:
        by_opportunity[row["opportunity_id"]].append(row)
    out = []
    for row in raw.opportunities:
        created = to_ts(row["created_at"])
        close = to_date(row["close_date"])
        if close is not None and created.date() > close:  # closing before creation: created on the close date
            created = pd.Timestamp(close)
        if created >= raw.cutoff:
            continue
        amount = dec(row["amount"])
        amount = amount if amount > 0 else Decimal(0)
        stage = raw.stages[row["stage_name"]]
        history = by_opportunity.get(row["opportunity_id"])
        if close is None and stage["closed"]:
            # closed without a close date: the day it entered its closed stage, else of updated_at, else of creation
            entered = [to_ts(h["entered_at"]) for h in history or [] if h["stage_name"] == row["stage_name"]]
            close = to_date(max(entered)) if entered else to_date(row.get("updated_at")) or created.date()
        if history:
            entries = [(to_ts(h["entered_at"]), h["stage_name"]) for h in history if to_ts(h["entered_at"]) < raw.cutoff]
        else:
            entries = [(created, row["stage_name"])]
        out.append(Deal(
            opportunity_id=row["opportunity_id"],
            account_id=row["account_id"],
            product_id=row["product_id"],
            segment=raw.segment(row["account_id"]),
            opportunity_type=str(row["opportunity_type"]).strip().lower(),
            created_at=created,
            close_date=close,
            # an open deal without an expected close date converts at the as-of date
            arr=money(amount * raw.rate(currency_of(row["currency"]), close or raw.as_of)),
            is_closed=stage["closed"] and close is not None and close <= raw.as_of,
            is_won=stage["won"] and close is not None and close <= raw.as_of,
            entries=sorted(entries, key=lambda entry: entry[0]),
        ))
    return out


def first_reached(raw: Raw, deal: Deal, k: int) -> pd.Timestamp | None:
    times = [at for at, name in deal.entries if raw.stages[name]["number"] is not None and raw.stages[name]["number"] >= k]
    return min(times) if times else None


def stage_at(raw: Raw, deal: Deal, day: dt.date) -> int | None:
    """Number of the latest stage entered by the end of `day` (ties: the won stage, then the name)."""
    limit = pd.Timestamp(day + dt.timedelta(days=1))
    known = [(at, raw.stages[name]["won"], name) for at, name in deal.entries if at < limit]
    if not known:
        return None
    latest = max(at for at, _won, _name in known)
    candidates = sorted([(not won, name) for at, won, name in known if at == latest])
    return raw.stages[candidates[0][1]]["number"]


# --------------------------------------------------------------------------- the comparison helpers


@dataclass
class Tally:
    compared: int = 0
    mismatches: list[str] = field(default_factory=list)

    def money(self, label: str, ours, theirs) -> None:
        self.compared += 1
        if money(Decimal(str(ours or 0))) != money(Decimal(str(theirs or 0))):
            self.mismatches.append(f"{label}: python {ours} vs warehouse {theirs}")

    def near_money(self, label: str, ours, theirs) -> None:
        self.compared += 1
        if abs(float(ours or 0) - float(theirs or 0)) > 0.005 + 1e-9 * abs(float(ours or 0)):
            self.mismatches.append(f"{label}: python {ours} vs warehouse {theirs}")

    def count(self, label: str, ours, theirs) -> None:
        self.compared += 1
        if int(ours or 0) != int(theirs or 0):
            self.mismatches.append(f"{label}: python {ours} vs warehouse {theirs}")

    def same(self, label: str, ours, theirs) -> None:
        self.compared += 1
        if ours != theirs:
            self.mismatches.append(f"{label}: python {ours} vs warehouse {theirs}")

    def rate(self, label: str, ours, theirs) -> None:
        self.compared += 1
        none_ours = ours is None or (isinstance(ours, float) and math.isnan(ours))
        none_theirs = theirs is None or (isinstance(theirs, float) and math.isnan(theirs))
        if none_ours or none_theirs:
            if none_ours != none_theirs:
                self.mismatches.append(f"{label}: python {ours} vs warehouse {theirs}")
            return
        if abs(float(ours) - float(theirs)) > 1e-9 * max(1.0, abs(float(ours))):
            self.mismatches.append(f"{label}: python {ours} vs warehouse {theirs}")

    def check(self) -> None:
        assert not self.mismatches, f"{len(self.mismatches)} of {self.compared} figures differ:\n" + "\n".join(self.mismatches[:30])


def ratio(numerator, denominator):
    return None if not denominator else float(numerator) / float(denominator)


def frame_rows(warehouse, sql: str) -> list[dict]:
    frame = warehouse.df(sql)
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module", params=["month_end", "mid_month"])
def revenue_warehouse(request):
    """The warehouse compared: as of a month end (the session's), or mid-month with a July fiscal year."""
    return request.getfixturevalue("built_warehouse" if request.param == "month_end" else "mid_month_warehouse")


@pytest.fixture(scope="module")
def raw(revenue_warehouse) -> Raw:
    project = Path(__file__).resolve().parents[1]
    return load_raw(revenue_warehouse.raw_dir, project, dt.date.fromisoformat(revenue_warehouse.as_of),
                    revenue_warehouse.fiscal_year_start_month)


@pytest.fixture(scope="module")
def arr_products(raw) -> dict:
    return product_arr(raw)


@pytest.fixture(scope="module")
def arr_accounts(arr_products) -> dict:
    return account_arr(arr_products)


@pytest.fixture(scope="module")
def account_movements(raw, arr_accounts) -> list[dict]:
    return classify(arr_accounts, raw.as_of)


@pytest.fixture(scope="module")
def all_deals(raw) -> list[Deal]:
    return deals(raw)


FIGURES: dict[str, int] = {}


def record(name: str, tally: Tally) -> None:
    FIGURES[name] = tally.compared
    print(f"{name}: {tally.compared} figures compared")
    tally.check()


# --------------------------------------------------------------------------- family 4


def test_arr_movements_recomputed(revenue_warehouse, raw, arr_accounts, account_movements):
    assert account_movements, "the generated data has subscriptions"
    segment_of = {account: raw.segment(account) for (account, _end) in arr_accounts}
    months = snapshot_days(min(end for _account, end in arr_accounts), raw.as_of)
    segments = sorted(set(segment_of.values()))
    monthly = {(segment, end): defaultdict(Decimal) for segment in segments for end in months}
    for movement in account_movements:
        bucket = monthly[(segment_of[movement["key"][0]], movement["month_end"])]
        for column, value in movement_amounts(movement).items():
            bucket[column] += value
        bucket["starting_customers"] += movement["previous"] > 0
        bucket["ending_customers"] += movement["current"] > 0
        for kind, column in (("new", "new_customers"), ("reactivation", "reactivated_customers"), ("churn", "churned_customers")):
            bucket[column] += movement["type"] == kind
    expected = {}
    for (segment, end), values in monthly.items():
        for grain in ("month", "quarter", "year"):
            start = period_start(grain, end, raw.fiscal_start)
            row = expected.setdefault((grain, start, segment), {"months": []})
            row["months"].append((end, values))
    warehouse = {(r["period_grain"], to_date(r["period_start"]), r["segment"]): r
                 for r in frame_rows(revenue_warehouse, f"select * from {revenue_warehouse.relation('kpi_arr_movements')}")}
    tally = Tally()
    tally.count("rows", len(expected), len(warehouse))
    for key, row in expected.items():
        got = warehouse.get(key)
        if got is None:
            tally.mismatches.append(f"missing row {key}")
            continue
        months_in = sorted(row["months"], key=lambda item: item[0])
        first, last = months_in[0][1], months_in[-1][1]
        sums = defaultdict(Decimal)
        for _end, values in months_in:
            for column, value in values.items():
                sums[column] += value
        label = f"{key}"
        tally.money(f"{label} starting_arr", first["starting_arr"], got["starting_arr"])
        tally.money(f"{label} ending_arr", last["ending_arr"], got["ending_arr"])
        for column in ("new_arr", "reactivation_arr", "expansion_arr", "contraction_arr", "churned_arr", "net_new_arr"):
            tally.money(f"{label} {column}", sums[column], got[column])
        tally.count(f"{label} starting_customers", first["starting_customers"], got["starting_customers"])
        tally.count(f"{label} ending_customers", last["ending_customers"], got["ending_customers"])
        for column in ("new_customers", "reactivated_customers", "churned_customers"):
            tally.count(f"{label} {column}", sums[column], got[column])
        tally.same(f"{label} measured_through", months_in[-1][0], to_date(got["measured_through"]))
        tally.same(f"{label} is_complete", period_end(key[0], key[1]) <= raw.as_of, bool(got["is_complete"]))
    record("kpi_arr_movements", tally)


def test_retention_recomputed(revenue_warehouse, raw, arr_accounts):
    first = min(end for _account, end in arr_accounts)
    by_month = defaultdict(dict)
    for (account, end), value in arr_accounts.items():
        by_month[end][account] = value
    segments = sorted({raw.segment(account) for account, _end in arr_accounts})
    warehouse = {(to_date(r["period_start"]), r["segment"]): r
                 for r in frame_rows(revenue_warehouse, f"select * from {revenue_warehouse.relation('kpi_retention')}")}
    tally = Tally()
    expected_months = [end for end in snapshot_days(first, raw.as_of) if months_between(first, end) >= 12]
    tally.count("rows", len(expected_months) * len(segments), len(warehouse))
    for end in expected_months:
        base_end = month_end(add_months(month_start(end), -12))
        for segment in segments:
            base = {a: v for a, v in by_month[base_end].items() if raw.segment(a) == segment}
            now = by_month[end]
            base_arr = sum(base.values(), Decimal(0))
            retained = sum((now.get(a, Decimal(0)) for a in base), Decimal(0))
            gross = sum((min(now.get(a, Decimal(0)), v) for a, v in base.items()), Decimal(0))
            customers = sum(1 for a in base if now.get(a, Decimal(0)) > 0)
            got = warehouse.get((month_start(end), segment))
            if got is None:
                tally.mismatches.append(f"missing retention row {end} {segment}")
                continue
            label = f"{end} {segment}"
            tally.money(f"{label} base_arr", base_arr, got["base_arr"])
            tally.money(f"{label} retained_arr", retained, got["retained_arr"])
            tally.money(f"{label} gross_retained_arr", gross, got["gross_retained_arr"])
            tally.count(f"{label} base_customers", len(base), got["base_customers"])
            tally.count(f"{label} retained_customers", customers, got["retained_customers"])
            tally.rate(f"{label} nrr", ratio(retained, base_arr), got["net_revenue_retention"])
            tally.rate(f"{label} grr", ratio(gross, base_arr), got["gross_revenue_retention"])
            tally.rate(f"{label} logo", ratio(customers, len(base)), got["logo_retention"])
            tally.same(f"{label} measured_through", end, to_date(got["measured_through"]))
            tally.same(f"{label} is_complete", end == month_end(end), bool(got["is_complete"]))
    record("kpi_retention", tally)


# --------------------------------------------------------------------------- family 3


def median(values: list[int]):
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    return float(ordered[middle]) if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def test_new_business_recomputed(revenue_warehouse, raw, all_deals, arr_accounts):
    expected: dict = defaultdict(lambda: {"won": 0, "lost": 0, "won_arr": Decimal(0), "lost_arr": Decimal(0),
                                          "cycles": [], "logos": 0})
    first_wins: dict = {}
    for deal in all_deals:
        if deal.is_won and deal.account_id is not None:
            key = (deal.account_id, deal.segment)
            first_wins[key] = min(first_wins.get(key, deal.close_date), deal.close_date)
        if deal.opportunity_type != "new_business" or not deal.is_closed:
            continue
        for grain in ("week", "month", "quarter", "year"):
            bucket = expected[(grain, period_start(grain, deal.close_date, raw.fiscal_start), deal.segment)]
            if deal.is_won:
                bucket["won"] += 1
                bucket["won_arr"] += deal.arr
                bucket["cycles"].append(deal.sales_cycle_days)
            else:
                bucket["lost"] += 1
                bucket["lost_arr"] += deal.arr
    for (_account, segment), day in first_wins.items():
        for grain in ("week", "month", "quarter", "year"):
            expected[(grain, period_start(grain, day, raw.fiscal_start), segment)]["logos"] += 1
    last_month_end = month_end(add_months(month_start(raw.as_of + dt.timedelta(days=1)), -1))
    arr_by_end = defaultdict(lambda: defaultdict(lambda: [Decimal(0), 0]))
    for (account, end), value in arr_accounts.items():
        cell = arr_by_end[end][raw.segment(account)]
        cell[0] += value
        cell[1] += 1
    for end in arr_by_end:
        for grain in ("month", "quarter", "year"):
            start = period_start(grain, end, raw.fiscal_start)
            arpa_end = period_end(grain, start) if period_end(grain, start) <= raw.as_of else last_month_end
            if arpa_end == end:
                for segment, (total, accounts) in arr_by_end[end].items():
                    expected[(grain, start, segment)]["arpa"] = (total, accounts)
    warehouse = {(r["period_grain"], to_date(r["period_start"]), r["segment"]): r
                 for r in frame_rows(revenue_warehouse, f"select * from {revenue_warehouse.relation('kpi_new_business')} "
                                                        "where level = 'company'")}
    tally = Tally()
    tally.count("rows", len(expected), len(warehouse))
    for key, row in expected.items():
        got = warehouse.get(key)
        if got is None:
            tally.mismatches.append(f"missing row {key}")
            continue
        label = str(key)
        closed = row["won"] + row["lost"]
        tally.count(f"{label} won", row["won"], got["won_opportunities"])
        tally.count(f"{label} lost", row["lost"], got["lost_opportunities"])
        tally.money(f"{label} won_arr", row["won_arr"], got["won_arr"])
        tally.money(f"{label} lost_arr", row["lost_arr"], got["lost_arr"])
        tally.rate(f"{label} win_rate", ratio(row["won"], closed), got["win_rate"])
        tally.rate(f"{label} win_rate_arr", ratio(row["won_arr"], row["won_arr"] + row["lost_arr"]), got["win_rate_arr"])
        tally.money(f"{label} avg_deal_size", None if not row["won"] else row["won_arr"] / row["won"], got["avg_deal_size"])
        tally.rate(f"{label} avg_cycle", ratio(sum(row["cycles"]), row["won"]), got["avg_sales_cycle_days"])
        tally.rate(f"{label} median_cycle", median(row["cycles"]), got["median_sales_cycle_days"])
        tally.count(f"{label} new_logos", row["logos"], got["new_logos"])
        total, accounts = row.get("arpa", (None, None))
        tally.count(f"{label} paying_accounts", accounts, got["paying_accounts"])
        tally.money(f"{label} arr_at_period_end", total, got["arr_at_period_end"])
        tally.money(f"{label} arpa", None if not accounts else total / accounts, got["arpa"])
    record("kpi_new_business", tally)


# --------------------------------------------------------------------------- family 5


class Metrics:
    """Each org metric as daily values: (metric) -> list of (date, segment, product, value, company, product_level)."""

    def __init__(self, raw: Raw, all_deals: list[Deal], arr_products: dict, account_movements: list[dict]):
        self.events: dict[str, list[tuple]] = defaultdict(list)
        for deal in all_deals:
            if deal.is_won and deal.opportunity_type == "new_business":
                self.events["new_business_arr"].append((deal.close_date, deal.segment, deal.product_id, deal.arr, True, True))
            if deal.is_won and deal.opportunity_type in BOOKINGS_TYPES:
                self.events["bookings_arr"].append((deal.close_date, deal.segment, deal.product_id, deal.arr, True, True))
            if deal.opportunity_type in BOOKINGS_TYPES:
                reached = first_reached(raw, deal, 1)
                if reached is not None:
                    self.events["stage1_opportunities"].append((to_date(reached), deal.segment, deal.product_id, 1, True, True))
        for lead in raw.leads:
            sql_at = to_ts(lead["sql_at"])
            if to_ts(lead["created_at"]) < raw.cutoff and sql_at is not None and sql_at < raw.cutoff:
                self.events["sqls"].append((to_date(sql_at), None, None, 1, True, True))
        for movement in account_movements:
            amounts = movement_amounts(movement)
            segment = raw.segment(movement["key"][0])
            for metric in ("net_new_arr", "expansion_arr"):
                self.events[metric].append((movement["month_end"], segment, None, amounts[metric], True, False))
        for movement in classify(arr_products, raw.as_of):
            amounts = movement_amounts(movement)
            account, product = movement["key"]
            for metric in ("net_new_arr", "expansion_arr"):
                self.events[metric].append((movement["month_end"], raw.segment(account), product, amounts[metric], False, True))

    def total(self, metric, first, last, segment=None, product=None):
        value = Decimal(0)
        for day, seg, prod, amount, company, product_level in self.events[metric]:
            if not (first <= day <= last):
                continue
            if segment is not None and seg != segment:
                continue
            if product is None and not company:
                continue
            if product is not None and not (product_level and prod == product):
                continue
            value += Decimal(amount)
        return value


@pytest.fixture(scope="module")
def metrics(raw, all_deals, arr_products, account_movements) -> Metrics:
    return Metrics(raw, all_deals, arr_products, account_movements)


KNOWN_METRICS = {"new_business_arr", "bookings_arr", "net_new_arr", "expansion_arr", "stage1_opportunities", "sqls"}


def test_org_attainment_recomputed(revenue_warehouse, raw, metrics):
    warehouse = frame_rows(revenue_warehouse, f"select * from {revenue_warehouse.relation('kpi_org_attainment')}")
    tally = Tally()
    tally.count("rows", len(raw.targets), len(warehouse))
    by_key = defaultdict(list)
    for row in warehouse:
        by_key[(row["metric"], row["segment"], row["product_id"], to_date(row["period_start"]), to_date(row["period_end"]))].append(row)
    for target in raw.targets:
        metric = str(target["metric"]).strip().lower()
        segment = None if blank(target["segment"]) else target["segment"]
        product = None if blank(target["product_id"]) else target["product_id"]
        start, end = to_date(target["period_start"]), to_date(target["period_end"])
        rows = by_key.get((metric, segment, product, start, end))
        label = f"{metric}|{segment}|{product}|{start}"
        if not rows:
            tally.mismatches.append(f"missing target row {label}")
            continue
        got = rows[0]
        measurable = metric in KNOWN_METRICS and not (metric == "sqls" and (segment or product))
        if not measurable:
            tally.count(f"{label} flagged", 1, got["metric_status"] != "measured")
            continue
        actual = metrics.total(metric, start, min(end, raw.as_of), segment, product)
        target_value = dec(target["target_value"])
        days = (end - start).days + 1
        elapsed = 0 if raw.as_of < start else days if raw.as_of >= end else (raw.as_of - start).days + 1
        tally.money(f"{label} actual", actual, got["actual_value"])
        tally.money(f"{label} gap", target_value - actual, got["gap"])
        tally.rate(f"{label} attainment", ratio(actual, target_value), got["attainment"])
        tally.rate(f"{label} pct_elapsed", elapsed / days, got["pct_period_elapsed"])
        attainment = ratio(actual, target_value)
        tally.rate(f"{label} pace", None if attainment is None or not elapsed else attainment / (elapsed / days), got["pace"])
    record("kpi_org_attainment", tally)


def forecast_inputs(raw: Raw, all_deals: list[Deal], metrics: Metrics, day: dt.date, metric: str,
                    start: dt.date, end: dt.date, segment: str | None) -> dict:
    """The run-rate and pipeline forecasts of a metric for a period, as known at `day`."""
    last_end = month_end(add_months(month_start(day + dt.timedelta(days=1)), -1))
    actual = metrics.total(metric, start, day, segment)
    trailing = metrics.total(metric, add_months(month_start(last_end), -2), last_end, segment)
    remaining = Fraction(months_between(last_end, end))
    # the forecast date's month is measured to date, for month-end metrics too
    if day != last_end:
        days_in_month = (month_end(day) - month_start(day)).days + 1
        remaining -= Fraction(day.day, days_in_month)
    remaining_dec = Decimal(remaining.numerator) / Decimal(remaining.denominator)
    remaining_dec = remaining_dec.quantize(MICRO, rounding=ROUND_HALF_UP)
    types = PIPELINE_TYPES[metric]
    # dateadd(month, -12, day): the same day a window earlier, clamped to the month's last day
    window_from = add_months(month_start(day), -WIN_RATE_WINDOW_MONTHS)
    window_from = window_from.replace(day=min(day.day, (month_end(window_from) - window_from).days + 1))
    outcomes = defaultdict(lambda: [Decimal(0), Decimal(0)])
    limit = pd.Timestamp(day + dt.timedelta(days=1))
    for deal in all_deals:
        if deal.opportunity_type not in types or not deal.is_closed or not (window_from < deal.close_date <= day):
            continue
        for k in {raw.stages[name]["number"] for name in raw.stages if raw.stages[name]["number"] is not None}:
            reached = first_reached(raw, deal, k)
            if reached is not None and reached < limit:
                outcomes[k][0] += deal.arr if deal.is_won else 0
                outcomes[k][1] += deal.arr
    open_arr, weighted = Decimal(0), 0.0
    for deal in all_deals:
        if deal.opportunity_type not in types or (segment is not None and deal.segment != segment):
            continue
        if deal.close_date is not None and deal.created_on <= day < deal.close_date <= end:
            open_arr += deal.arr
            stage = stage_at(raw, deal, day)
            won, closed = outcomes.get(stage, (0, 0)) if stage is not None else (0, 0)
            weighted += float(deal.arr) * (float(won) / float(closed) if closed else 0.0)
    stage1_won, stage1_closed = outcomes.get(1, (Decimal(0), Decimal(0)))
    trailing_avg = trailing / 3
    return {
        "actual_to_date": actual,
        "trailing_3m_value": trailing,
        "remaining_months": remaining_dec,
        "run_rate_forecast": money(actual + trailing_avg * remaining_dec),
        "open_pipeline_arr": open_arr,
        "weighted_pipeline_arr": weighted,
        "pipeline_forecast": float(actual) + weighted,
        "stage1_to_won_rate": ratio(stage1_won, stage1_closed),
    }


def test_forecast_recomputed(revenue_warehouse, raw, all_deals, metrics):
    warehouse = frame_rows(revenue_warehouse, f"select * from {revenue_warehouse.relation('kpi_forecast')}")
    assert warehouse, "the generated targets cover the current quarter and year"
    tally = Tally()
    current = {grain: (period_start(grain, raw.as_of, raw.fiscal_start),
                       period_end(grain, period_start(grain, raw.as_of, raw.fiscal_start))) for grain in ("quarter", "year")}
    expected_rows = 0
    for target in raw.targets:
        metric = str(target["metric"]).strip().lower()
        if metric not in PIPELINE_TYPES or not blank(target["product_id"]):
            continue
        start, end = to_date(target["period_start"]), to_date(target["period_end"])
        if (start, end) in current.values():
            expected_rows += 1
    tally.count("rows", expected_rows, len(warehouse))
    for got in warehouse:
        start, end = to_date(got["period_start"]), to_date(got["period_end"])
        ours = forecast_inputs(raw, all_deals, metrics, raw.as_of, got["metric"], start, end, got["segment"])
        label = f"{got['metric']}|{got['segment']}|{got['period_grain']}"
        target_value = Decimal(str(got["target_value"]))
        for column in ("actual_to_date", "trailing_3m_value", "run_rate_forecast", "open_pipeline_arr"):
            tally.money(f"{label} {column}", ours[column], got[column])
        tally.rate(f"{label} remaining_months", float(ours["remaining_months"]), float(got["remaining_months"]))
        tally.near_money(f"{label} weighted_pipeline_arr", ours["weighted_pipeline_arr"], got["weighted_pipeline_arr"])
        tally.near_money(f"{label} pipeline_forecast", ours["pipeline_forecast"], got["pipeline_forecast"])
        tally.money(f"{label} forecast_gap", target_value - ours["run_rate_forecast"], got["forecast_gap"])
        tally.rate(f"{label} stage1_to_won_rate", ours["stage1_to_won_rate"], got["stage1_to_won_rate"])
        gap = max(target_value - ours["run_rate_forecast"], Decimal(0))
        rate = ours["stage1_to_won_rate"]
        tally.near_money(f"{label} pipeline_needed", None if not rate else float(gap) / rate, got["pipeline_needed"])
    record("kpi_forecast", tally)


def test_forecast_backtest_recomputed(revenue_warehouse, raw, all_deals, metrics):
    warehouse = frame_rows(revenue_warehouse, f"select * from {revenue_warehouse.relation('kpi_forecast_backtest')}")
    tally = Tally()
    first_month = add_months(month_start(raw.as_of), -BACKTEST_MONTHS)
    days = [month_end(add_months(first_month, i)) for i in range(BACKTEST_MONTHS + 1)]
    days = [day for day in days if day < raw.as_of]
    tally.count("rows", len(days) * 2 * len(PIPELINE_TYPES), len(warehouse))
    for got in warehouse:
        day = to_date(got["forecast_date"])
        start, end = to_date(got["period_start"]), to_date(got["period_end"])
        ours = forecast_inputs(raw, all_deals, metrics, day, got["metric"], start, end, None)
        label = f"{day} {got['metric']} {got['period_grain']}"
        tally.money(f"{label} actual_to_date", ours["actual_to_date"], got["actual_to_date"])
        tally.money(f"{label} run_rate_forecast", ours["run_rate_forecast"], got["run_rate_forecast"])
        tally.near_money(f"{label} pipeline_forecast", ours["pipeline_forecast"], got["pipeline_forecast"])
        if end <= raw.as_of:
            outcome = metrics.total(got["metric"], start, end)
            tally.money(f"{label} actual_outcome", outcome, got["actual_outcome"])
            tally.money(f"{label} run_rate_error", ours["run_rate_forecast"] - outcome, got["run_rate_error"])
        else:
            tally.count(f"{label} outcome unknown", 1, got["actual_outcome"] is None)
    record("kpi_forecast_backtest", tally)
