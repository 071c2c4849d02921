"""Re-computes the headline figures of the performance marts in Python and compares.

Everything here is derived from the raw parquet files of the session's
generated data (``generated_raw_dir``) with pandas and exact decimals, by
rules written from the spec (``../shared/spec/kpi_definitions.md``), not by
reading the dbt intermediates or re-running their SQL. It is then compared
with the marts of the session's warehouse (``built_warehouse``): row keys as
sets, counts and flags exactly, money to the cent, rates to 1e-9.

Marts covered: kpi_rep_attainment, kpi_team_attainment, kpi_sdr_roi,
kpi_sdr_roi_cohorts, kpi_product_launch, kpi_product_launch_attainment, plus
the reconciliation of rep bookings with the company's bookings.

Run on a bigger dataset with ``SALES_KPIS_TEST_LEADS=100000 pytest
tests/test_performance_recompute.py -s`` (the number of figures compared is
printed).
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from bisect import bisect_right
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from pathlib import Path

import pandas as pd
import pytest

from sales_kpis.dates import add_months, month_start

pytestmark = pytest.mark.slow

REPORTING_CURRENCY = "USD"
BOOKINGS_TYPES = {"new_business", "expansion"}
DEFAULT_RAMP_MONTHS = 3
LOADED_COST_MULTIPLIER = Decimal("1.0")
TARGET_ROI = Decimal("4.0")
HORIZON_MONTHS = 12
CENT = Decimal("0.01")
MICRO = Decimal("0.000001")
STAGES_SEED = Path(__file__).resolve().parents[1] / "seeds" / "stages.csv"

# --------------------------------------------------------------------------- small rules


def is_missing(value) -> bool:
    return value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def decimal6(value) -> Decimal | None:
    """A raw number as the project's amount type (6 decimals, half away from zero)."""
    if is_missing(value):
        return None
    return Decimal(repr(float(value))).quantize(MICRO, ROUND_HALF_UP)


def cents(value: Decimal) -> Decimal:
    """Rounded to cents, half away from zero (the cast to decimal(18, 2))."""
    sign = -1 if value < 0 else 1
    return sign * abs(value).quantize(CENT, ROUND_HALF_UP)


def as_date(value) -> dt.date | None:
    if is_missing(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def whole_months(start: dt.date, end: dt.date) -> int:
    """The largest n with start + n months <= end."""
    n = (end.year - start.year) * 12 + end.month - start.month
    while add_months(start, n) > end:
        n -= 1
    while add_months(start, n + 1) <= end:
        n += 1
    return n


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """Month starts from first's month to last's month, inclusive."""
    months, current = [], month_start(first)
    while current <= last:
        months.append(current)
        current = add_months(current, 1)
    return months


def quarter_start(day: dt.date, fiscal_start_month: int = 1) -> dt.date:
    index = (day.month - fiscal_start_month) % 12
    return add_months(month_start(day), -(index % 3))


def ratio(numerator, denominator) -> float | None:
    if denominator is None or numerator is None or denominator == 0:
        return None
    return float(numerator) / float(denominator)


# --------------------------------------------------------------------------- the raw data, read once


class Reference:
    """The raw tables of a raw-data directory and the figures derived from them."""

    def __init__(self, raw_dir: Path, as_of: str, fiscal_start: int = 1):
        self.raw_dir = Path(raw_dir)
        self.as_of = dt.date.fromisoformat(as_of)
        self.fiscal_start = fiscal_start
        self.cutoff = pd.Timestamp(self.as_of + dt.timedelta(days=1))

    def table(self, name: str) -> pd.DataFrame:
        path = self.raw_dir / f"{name}.parquet"
        return pd.read_parquet(path) if path.exists() else pd.DataFrame()

    @staticmethod
    def records(frame: pd.DataFrame) -> list[dict]:
        return [{key: (None if is_missing(value) else value) for key, value in row.items()}
                for row in frame.to_dict("records")]

    # ---------------------------------------------------------------- rates

    @cached_property
    def rates(self) -> dict[str, tuple[list[dt.date], list[Decimal]]]:
        table: dict[str, list[tuple[dt.date, Decimal]]] = defaultdict(list)
        for row in self.records(self.table("exchange_rates")):
            currency = (row["currency"] or "").strip().upper() or REPORTING_CURRENCY
            if currency != REPORTING_CURRENCY:
                table[currency].append((as_date(row["rate_date"]), decimal6(row["rate_to_reporting"])))
        return {currency: ([d for d, _ in sorted(rows)], [r for _, r in sorted(rows)])
                for currency, rows in table.items()}

    def rate(self, currency: str, day: dt.date) -> Decimal:
        if currency == REPORTING_CURRENCY:
            return Decimal(1)
        days, values = self.rates[currency]
        position = bisect_right(days, day) - 1
        assert position >= 0, f"no {currency} rate on or before {day}"
        return values[position]

    @staticmethod
    def currency(value) -> str:
        text = "" if is_missing(value) else str(value).strip().upper()
        return text or REPORTING_CURRENCY

    # ---------------------------------------------------------------- users

    @cached_property
    def users(self) -> dict[str, dict]:
        raw = self.records(self.table("users"))
        known = {row["user_id"] for row in raw}
        users = {}
        for row in raw:
            hired = as_date(row["hired_on"])
            if hired > self.as_of:
                continue
            left = as_date(row["left_on"])
            ramp = DEFAULT_RAMP_MONTHS if row["ramp_months"] is None else int(row["ramp_months"])
            users[row["user_id"]] = {
                "user_id": row["user_id"],
                "role": (row["role"] or "").strip().lower(),
                "team": row["team"],
                "manager_id": row["manager_id"] if row["manager_id"] in known else None,
                "hired_on": hired,
                "left_on": left if left is not None and left <= self.as_of else None,
                "annual_ote": decimal6(row["annual_ote"]),
                "ramp_end_on": add_months(hired, ramp),
            }
        return users

    # ---------------------------------------------------------------- opportunities

    @cached_property
    def stages(self) -> dict[str, dict]:
        path = self.raw_dir / "stages.parquet"
        frame = pd.read_parquet(path) if path.exists() else pd.read_csv(STAGES_SEED)
        return {row["stage_name"]: {"number": None if is_missing(row["stage_number"]) else int(row["stage_number"]),
                                    "is_closed": str(row["is_closed"]).lower() == "true",
                                    "is_won": str(row["is_won"]).lower() == "true"}
                for row in frame.to_dict("records")}

    @cached_property
    def accounts_segment(self) -> dict[str, str]:
        return {row["account_id"]: row["segment"] for row in self.records(self.table("accounts"))}

    @cached_property
    def opportunities(self) -> list[dict]:
        """Opportunities that exist at the as-of date, with status and amount in USD."""
        kept = []
        for row in self.records(self.table("opportunities")):
            if row["is_deleted"] is True:
                continue
            close = as_date(row["close_date"])
            created = pd.Timestamp(row["created_at"])
            if created.date() > close:  # a deal closing before creation is taken as created on its close date
                created = pd.Timestamp(close)
            if created >= self.cutoff:
                continue
            amount = decimal6(row["amount"])
            amount = amount if amount is not None and amount > 0 else Decimal(0)
            stage = self.stages[row["stage_name"]]
            kind = (row["opportunity_type"] or "").strip().lower()
            kept.append({
                "opportunity_id": row["opportunity_id"],
                "owner_id": row["owner_id"],
                "sourced_by_id": row["sourced_by_id"],
                "product_id": row["product_id"],
                "segment": self.accounts_segment.get(row["account_id"]) or "unknown",
                "opportunity_type": kind,
                "is_bookings_type": kind in BOOKINGS_TYPES,
                "arr": cents(amount * self.rate(self.currency(row["currency"]), close)),
                "is_closed": stage["is_closed"] and close <= self.as_of,
                "is_won": stage["is_won"] and close <= self.as_of,
                "close_date": close,
                "created_on": created.date(),
                "created_at": created,
                "stage_name": row["stage_name"],
            })
        self._stage1(kept)
        return kept

    def _stage1(self, opportunities: list[dict]) -> None:
        """First day each opportunity entered a stage numbered >= 1 (by the as-of date)."""
        by_id = {row["opportunity_id"]: row for row in opportunities}
        history = self.table("opportunity_stage_history")
        with_history = set()
        first: dict[str, pd.Timestamp] = {}
        for row in self.records(history):
            opportunity = by_id.get(row["opportunity_id"])
            if opportunity is None:
                continue
            with_history.add(row["opportunity_id"])
            entered = pd.Timestamp(row["entered_at"])
            stage = self.stages.get(row["stage_name"])
            if entered >= self.cutoff or stage is None or stage["number"] is None or stage["number"] < 1:
                continue
            if row["opportunity_id"] not in first or entered < first[row["opportunity_id"]]:
                first[row["opportunity_id"]] = entered
        for opportunity in opportunities:
            reached = first.get(opportunity["opportunity_id"])
            if opportunity["opportunity_id"] not in with_history:
                number = self.stages[opportunity["stage_name"]]["number"]
                reached = opportunity["created_at"] if number is not None and number >= 1 else None
            opportunity["stage1_on"] = reached.date() if reached is not None else None

    # ---------------------------------------------------------------- reps

    @cached_property
    def rep_attainment(self) -> pd.DataFrame:
        by_owner = defaultdict(list)
        for opportunity in self.opportunities:
            if opportunity["is_bookings_type"] and opportunity["owner_id"] is not None:
                by_owner[opportunity["owner_id"]].append(opportunity)
        rows = []
        for quota in self.records(self.table("quotas")):
            user_id, start, end = quota["user_id"], as_date(quota["period_start"]), as_date(quota["period_end"])
            quota_amount = decimal6(quota["quota_amount"])
            deals = by_owner.get(user_id, [])
            closed = [o for o in deals if o["is_closed"] and start <= o["close_date"] <= end]
            won = [o for o in closed if o["is_won"]]
            created = [o for o in deals if o["stage1_on"] is not None and start <= o["stage1_on"] <= end]
            bookings = sum((o["arr"] for o in won), Decimal(0))
            user = self.users.get(user_id)
            exclusive_end = end + dt.timedelta(days=1)
            n = whole_months(start, exclusive_end)
            anchor = add_months(start, n)
            remaining = (exclusive_end - anchor).days
            month_days = (add_months(anchor, 1) - anchor).days
            ote = user["annual_ote"] if user else None
            rows.append({
                "user_id": user_id,
                "period_start": start,
                "quota_amount": cents(quota_amount),
                "bookings_arr": bookings,
                "new_business_arr": sum((o["arr"] for o in won if o["opportunity_type"] == "new_business"), Decimal(0)),
                "won_opportunities": len(won),
                "closed_opportunities": len(closed),
                "pipeline_created_opportunities": len(created),
                "pipeline_created_arr": sum((o["arr"] for o in created), Decimal(0)),
                "attainment": ratio(bookings, quota_amount),
                "win_rate": ratio(len(won), len(closed)),
                "avg_deal_size": cents(bookings / len(won)) if won else None,
                "period_ote": cents(ote * (n * month_days + remaining) / (12 * month_days)) if ote is not None else None,
                "is_at_quota": quota_amount > 0 and bookings >= quota_amount,
                "is_ramping": (start < user["ramp_end_on"]) if user else None,
                "tenure_months": (0 if start <= user["hired_on"] else whole_months(user["hired_on"], start)) if user else None,
                "has_left_in_period": bool(user and user["left_on"] and start <= user["left_on"] <= end),
                "team": (user["team"] if user else None),
                "manager_id": (user["manager_id"] if user else None),
                "period_end": end,
            })
        return pd.DataFrame(rows)

    @cached_property
    def managers_above(self) -> dict[str, set[str]]:
        """Every manager above each user (walking manager_id)."""
        above = {}
        for user_id in self.users:
            chain, seen, current = set(), {user_id}, self.users[user_id]["manager_id"]
            while current is not None and current not in seen:
                chain.add(current)
                seen.add(current)
                current = self.users[current]["manager_id"] if current in self.users else None
            above[user_id] = chain
        return above

    @cached_property
    def team_attainment(self) -> pd.DataFrame:
        groups = defaultdict(list)
        for rep in self.rep_attainment.to_dict("records"):
            key = (rep["period_start"], rep["period_end"])
            groups[("team", rep["team"] or "unknown", *key)].append(rep)
            if rep["manager_id"] is not None:
                groups[("manager_direct", rep["manager_id"], *key)].append(rep)
            for manager in self.managers_above.get(rep["user_id"], ()):
                groups[("manager_tree", manager, *key)].append(rep)
        rows = []
        for (rollup_type, rollup_key, start, _end), reps in groups.items():
            ramped = [r for r in reps if r["is_ramping"] is False]
            quota = sum((r["quota_amount"] for r in reps), Decimal(0))
            bookings = sum((r["bookings_arr"] for r in reps), Decimal(0))
            ramped_at_quota = sum(1 for r in ramped if r["is_at_quota"])
            rows.append({
                "rollup_type": rollup_type, "rollup_key": rollup_key, "period_start": start,
                "reps": len(reps), "ramped_reps": len(ramped),
                "reps_at_quota": sum(1 for r in reps if r["is_at_quota"]),
                "ramped_reps_at_quota": ramped_at_quota,
                "pct_reps_at_quota": ratio(ramped_at_quota, len(ramped)),
                "total_quota_amount": quota, "total_bookings_arr": bookings,
                "attainment": ratio(bookings, quota),
            })
        return pd.DataFrame(rows)

    # ---------------------------------------------------------------- SDRs

    @cached_property
    def sdr_roi(self) -> pd.DataFrame:
        sourced, won = defaultdict(lambda: [0, Decimal(0)]), defaultdict(lambda: [0, Decimal(0)])
        for o in self.opportunities:
            if o["sourced_by_id"] is None:
                continue
            entry = sourced[(o["sourced_by_id"], month_start(o["created_on"]))]
            entry[0] += 1
            entry[1] += o["arr"]
            if o["is_won"]:
                entry = won[(o["sourced_by_id"], month_start(o["close_date"]))]
                entry[0] += 1
                entry[1] += o["arr"]
        rows = []
        for user in self.users.values():
            if user["role"] != "sdr":
                continue
            cost = cents(user["annual_ote"] * LOADED_COST_MULTIPLIER / 12) if user["annual_ote"] is not None else None
            cumulative_won, cumulative_cost, reached = Decimal(0), Decimal(0), None
            sdr_rows = []
            for index, month in enumerate(months_between(user["hired_on"], user["left_on"] or self.as_of)):
                sourced_count, sourced_arr = sourced.get((user["user_id"], month), (0, Decimal(0)))
                won_count, won_arr = won.get((user["user_id"], month), (0, Decimal(0)))
                cumulative_won += won_arr
                cumulative_cost = None if cost is None else cumulative_cost + cost
                at_target = cumulative_cost is not None and cumulative_cost > 0 and cumulative_won >= TARGET_ROI * cumulative_cost
                if at_target and reached is None:
                    reached = index
                sdr_rows.append({
                    "user_id": user["user_id"], "month_start": month, "months_since_hire": index,
                    "sourced_opportunities": sourced_count, "sourced_pipeline_arr": sourced_arr,
                    "won_opportunities": won_count, "won_arr": won_arr, "monthly_cost": cost,
                    "cumulative_won_arr": cumulative_won, "cumulative_cost": cumulative_cost,
                    "cumulative_roi": ratio(cumulative_won, cumulative_cost),
                    "is_at_target_roi": at_target, "team": user["team"], "hired_on": user["hired_on"],
                })
            for row in sdr_rows:
                row["target_reached_months_since_hire"] = reached
            rows.extend(sdr_rows)
        return pd.DataFrame(rows)

    @cached_property
    def sdr_roi_cohorts(self) -> pd.DataFrame:
        cohorts = defaultdict(lambda: defaultdict(lambda: 0))
        for user_id, months in self.sdr_roi.groupby("user_id"):
            first = months.iloc[0]
            key = (quarter_start(first["hired_on"]), first["team"] or "unknown")
            has_ote = first["monthly_cost"] is not None
            observable = has_ote and add_months(month_start(first["hired_on"]), HORIZON_MONTHS) <= self.as_of + dt.timedelta(days=1)
            reached = first["target_reached_months_since_hire"]
            reached = None if is_missing(reached) else int(reached)
            cohort = cohorts[key]
            cohort["sdrs_hired"] += 1
            cohort["sdrs_without_ote"] += 0 if has_ote else 1
            cohort["sdrs_observable"] += 1 if observable else 0
            cohort["sdrs_at_target_within_horizon"] += 1 if observable and reached is not None and reached < HORIZON_MONTHS else 0
            cohort["sdrs_reached_target_so_far"] += 1 if reached is not None else 0
            if observable:
                horizon = months[months["months_since_hire"] < HORIZON_MONTHS]
                cohort["horizon_won_arr"] += sum(horizon["won_arr"], Decimal(0))
                cohort["horizon_cost"] += sum(horizon["monthly_cost"], Decimal(0))
        rows = []
        for (start, team), values in cohorts.items():
            row = {"hire_quarter_start": start, "team": team, **values}
            row.setdefault("horizon_won_arr", Decimal(0))
            row.setdefault("horizon_cost", Decimal(0))
            row["share_at_target_within_horizon"] = ratio(row["sdrs_at_target_within_horizon"], row["sdrs_observable"])
            rows.append(row)
        return pd.DataFrame(rows)

    # ---------------------------------------------------------------- products

    @cached_property
    def calendar_start(self) -> dt.date:
        """First day of the calendar: the start of the fiscal year of the earliest dated raw row."""
        days = [self.as_of]
        for table, column in [("leads", "created_at"), ("opportunities", "created_at"), ("subscriptions", "starts_on"),
                              ("quotas", "period_start"), ("targets", "period_start"), ("users", "hired_on")]:
            frame = self.table(table)
            if "is_deleted" in frame:
                frame = frame[frame["is_deleted"].fillna(False) != True]  # noqa: E712
            values = [as_date(value) for value in frame[column] if not is_missing(value)]
            days += values
        first = min(days)
        return add_months(month_start(first), -((first.month - self.fiscal_start) % 12))

    @cached_property
    def account_product_arr(self) -> dict[tuple, Decimal]:
        """{(account, product, month_start): ARR at the month's snapshot day, > 0}, to the as-of month.

        The snapshot day is the month end, or the as-of date for the month
        containing it (measured to date). Each subscription's arr is
        converted at that day's rate; the sum per account, product and month
        is rounded to cents.
        """
        subscriptions = []
        for row in self.records(self.table("subscriptions")):
            starts = as_date(row["starts_on"])
            if starts > self.as_of:
                continue
            arr = decimal6(row["arr"])
            subscriptions.append((row["account_id"], row["product_id"], starts, as_date(row["ends_on"]),
                                  arr if arr > 0 else Decimal(0), self.currency(row["currency"])))
        arr_by_key: dict[tuple, Decimal] = defaultdict(Decimal)
        first = min(s[2] for s in subscriptions)
        for month in months_between(first, self.as_of):
            day = min(month_end(month), self.as_of)
            for account, product, starts, ends, arr, currency in subscriptions:
                if starts <= day and (ends is None or ends > day):
                    arr_by_key[(account, product, month)] += arr * self.rate(currency, day)
        return {key: cents(value) for key, value in arr_by_key.items() if cents(value) > 0}

    @cached_property
    def product_months(self) -> dict[tuple, dict]:
        """{(product, month_start, segment): bookings and ARR movements}."""
        values: dict[tuple, dict] = defaultdict(lambda: defaultdict(lambda: Decimal(0)))
        last_month = month_start(self.as_of)
        # Walk every account x product month by month from its first ARR to the as-of month.
        by_key: dict[tuple, dict[dt.date, Decimal]] = defaultdict(dict)
        for (account, product, month), arr in self.account_product_arr.items():
            if product is not None:
                by_key[(account, product)][month] = arr
        for (account, product), series in by_key.items():
            segment = self.accounts_segment.get(account) or "unknown"
            had_arr = False
            for month in months_between(min(series), last_month):
                current = series.get(month, Decimal(0))
                previous = series.get(add_months(month, -1), Decimal(0))
                if current == 0 and previous == 0:
                    continue
                bucket = values[(product, month, segment)]
                bucket["starting_arr"] += previous
                bucket["ending_arr"] += current
                bucket["starting_customers"] += 1 if previous > 0 else 0
                bucket["ending_customers"] += 1 if current > 0 else 0
                if previous == 0:
                    kind = "reactivation" if had_arr else "new"
                    bucket[f"{kind}_arr"] += current
                    bucket["new_customers" if kind == "new" else "reactivated_customers"] += 1
                elif current == 0:
                    bucket["churned_arr"] += previous
                    bucket["churned_customers"] += 1
                elif current > previous:
                    bucket["expansion_arr"] += current - previous
                elif current < previous:
                    bucket["contraction_arr"] += previous - current
                had_arr = had_arr or current > 0
        for o in self.opportunities:
            if o["is_won"] and o["product_id"] is not None:
                bucket = values[(o["product_id"], month_start(o["close_date"]), o["segment"])]
                bucket["activity"] += 0  # a month with any won deal of the product is activity
                if o["is_bookings_type"]:
                    bucket["won_opportunities"] += 1
                    bucket["bookings_arr"] += o["arr"]
                if o["opportunity_type"] == "new_business":
                    bucket["new_business_arr"] += o["arr"]
        return values

    @cached_property
    def product_launch(self) -> pd.DataFrame:
        products = self.records(self.table("products"))
        by_product: dict[str, dict[dt.date, dict]] = defaultdict(lambda: defaultdict(lambda: defaultdict(lambda: Decimal(0))))
        for (product, month, _segment), bucket in self.product_months.items():
            target = by_product[product][month]
            for name, value in bucket.items():
                target[name] += value
        rows = []
        for product in products:
            months = by_product.get(product["product_id"], {})
            launched = as_date(product["launched_on"])
            starts = [m for m in [month_start(launched) if launched else None, min(months) if months else None] if m]
            if not starts:
                continue
            cumulative_bookings = Decimal(0)
            for month in months_between(max(min(starts), self.calendar_start), self.as_of):
                bucket = months.get(month, defaultdict(lambda: Decimal(0)))
                cumulative_bookings += bucket["bookings_arr"]
                rows.append({
                    "product_id": product["product_id"], "month_start": month,
                    "months_since_launch": whole_months(month_start(launched), month) if launched else None,
                    "won_opportunities": int(bucket["won_opportunities"]), "bookings_arr": bucket["bookings_arr"],
                    "new_business_arr": bucket["new_business_arr"],
                    **{name: bucket[name] for name in ("starting_arr", "new_arr", "reactivation_arr", "expansion_arr",
                                                       "contraction_arr", "churned_arr", "ending_arr")},
                    "net_new_arr": bucket["ending_arr"] - bucket["starting_arr"],
                    **{name: int(bucket[name]) for name in ("starting_customers", "new_customers", "reactivated_customers",
                                                            "churned_customers", "ending_customers")},
                    "measured_through": pd.Timestamp(min(month_end(month), self.as_of)),
                    "cumulative_bookings_arr": cumulative_bookings,
                })
        return pd.DataFrame(rows)

    @cached_property
    def product_launch_attainment(self) -> pd.DataFrame:
        movement = {"net_new_arr", "new_arr", "reactivation_arr", "expansion_arr", "contraction_arr", "churned_arr",
                    "new_customers", "churned_customers"}
        bookings = {"bookings_arr", "new_business_arr", "won_opportunities"}
        rows = []
        for target in self.records(self.table("targets")):
            if target["product_id"] is None:
                continue
            metric = target["metric"].strip().lower()
            start, end, segment = as_date(target["period_start"]), as_date(target["period_end"]), target["segment"]
            actual = None
            if metric in movement:
                actual = Decimal(0)
                for (product, month, month_segment), bucket in self.product_months.items():
                    if product == target["product_id"] and (segment is None or segment == month_segment) \
                            and start <= min(month_end(month), self.as_of) <= end:
                        actual += bucket["ending_arr"] - bucket["starting_arr"] if metric == "net_new_arr" else bucket[metric]
            elif metric in bookings:
                actual = Decimal(0)
                for o in self.opportunities:
                    if o["is_won"] and o["product_id"] == target["product_id"] and start <= o["close_date"] <= end \
                            and (segment is None or segment == o["segment"]):
                        if metric == "new_business_arr":
                            actual += o["arr"] if o["opportunity_type"] == "new_business" else 0
                        elif o["is_bookings_type"]:
                            actual += o["arr"] if metric == "bookings_arr" else 1
            target_value = decimal6(target["target_value"])
            rows.append({"product_id": target["product_id"], "metric": metric, "segment": segment or "",
                         "period_start": start, "period_end": end, "actual_value": actual,
                         "attainment": ratio(actual, target_value)})
        return pd.DataFrame(rows)


# --------------------------------------------------------------------------- comparing


class Tally:
    figures = 0


def compare(expected: pd.DataFrame, actual: pd.DataFrame, keys: list[str], exact: list[str] = (),
            money: list[str] = (), rates: list[str] = ()) -> int:
    """Asserts expected == actual row by row (keys as sets); returns how many figures were compared."""
    def keyed(frame: pd.DataFrame) -> dict[tuple, dict]:
        result = {}
        for row in frame.to_dict("records"):
            key = tuple(as_date(row[k]) if k.endswith(("_start", "_end", "_on")) else row[k] for k in keys)
            assert key not in result, f"duplicate key {key}"
            result[key] = row
        return result

    expected_rows, actual_rows = keyed(expected), keyed(actual)
    assert set(expected_rows) == set(actual_rows), (
        f"keys differ: only expected {sorted(set(expected_rows) - set(actual_rows))[:5]}, "
        f"only in mart {sorted(set(actual_rows) - set(expected_rows))[:5]}")
    problems, figures = [], len(expected_rows) * len(keys)
    for key, want in expected_rows.items():
        got = actual_rows[key]
        for column in exact:
            figures += 1
            a, b = want[column], got[column]
            if is_missing(a) and is_missing(b):
                continue
            if is_missing(a) or is_missing(b) or a != b and not (isinstance(b, (int, float)) and float(a) == float(b)):
                problems.append(f"{key} {column}: expected {a!r}, mart {b!r}")
        for column in money:
            figures += 1
            a, b = want[column], got[column]
            if is_missing(a) and is_missing(b):
                continue
            if is_missing(a) or is_missing(b) or cents(Decimal(a)) != Decimal(str(b)).quantize(CENT):
                problems.append(f"{key} {column}: expected {a!r}, mart {b!r}")
        for column in rates:
            figures += 1
            a, b = want[column], got[column]
            if is_missing(a) and is_missing(b):
                continue
            if is_missing(a) or is_missing(b) or abs(float(a) - float(b)) > 1e-9:
                problems.append(f"{key} {column}: expected {a!r}, mart {b!r}")
    assert not problems, f"{len(problems)} figures differ, e.g.:\n" + "\n".join(problems[:15])
    Tally.figures += figures
    return figures


def mart(warehouse, name: str) -> pd.DataFrame:
    return warehouse.df(f"select * from {warehouse.relation(name)}")


@pytest.fixture(scope="module")
def reference(generated_raw_dir, built_warehouse) -> Reference:
    return Reference(generated_raw_dir, built_warehouse.as_of)


@pytest.fixture(scope="module", params=["month_end", "mid_month"])
def launch_case(request, reference, generated_raw_dir) -> tuple[Reference, object]:
    """The product-launch marts as of a month end (the session's warehouse), and as of a mid-month day
    with a July fiscal year (mid_month_warehouse: the same company, delivered as CSV; the reference reads
    the session's parquet files of it), where the as-of month is measured to date."""
    if request.param == "month_end":
        return reference, request.getfixturevalue("built_warehouse")
    warehouse = request.getfixturevalue("mid_month_warehouse")
    return Reference(generated_raw_dir, warehouse.as_of, warehouse.fiscal_year_start_month), warehouse


# --------------------------------------------------------------------------- the tests


def test_rep_attainment_matches_recomputation(reference, built_warehouse):
    expected = reference.rep_attainment
    assert len(expected) > 0
    figures = compare(
        expected, mart(built_warehouse, "kpi_rep_attainment"), keys=["user_id", "period_start"],
        exact=["won_opportunities", "closed_opportunities", "pipeline_created_opportunities", "is_at_quota",
               "is_ramping", "tenure_months", "has_left_in_period"],
        money=["quota_amount", "bookings_arr", "new_business_arr", "pipeline_created_arr", "avg_deal_size", "period_ote"],
        rates=["attainment", "win_rate"])
    print(f"\nkpi_rep_attainment: {len(expected)} rows, {figures} figures agree")


def test_team_attainment_matches_recomputation(reference, built_warehouse):
    expected = reference.team_attainment
    assert set(expected["rollup_type"]) == {"team", "manager_direct", "manager_tree"}
    figures = compare(
        expected, mart(built_warehouse, "kpi_team_attainment"), keys=["rollup_type", "rollup_key", "period_start"],
        exact=["reps", "ramped_reps", "reps_at_quota", "ramped_reps_at_quota"],
        money=["total_quota_amount", "total_bookings_arr"], rates=["pct_reps_at_quota", "attainment"])
    print(f"\nkpi_team_attainment: {len(expected)} rows, {figures} figures agree")


def test_rep_bookings_reconcile_with_the_company(reference, built_warehouse):
    """Org bookings (from raw) = sum of rep bookings + bookings no quota covers; new business too."""
    won = [o for o in reference.opportunities if o["is_won"] and o["is_bookings_type"]]
    for measure, deals in [("bookings_arr", won), ("new_business_arr", [o for o in won if o["opportunity_type"] == "new_business"])]:
        org = sum((o["arr"] for o in deals), Decimal(0))
        reps = Decimal(str(built_warehouse.scalar(f"select coalesce(sum({measure}), 0) from {built_warehouse.relation('kpi_rep_attainment')}")))
        condition = "" if measure == "bookings_arr" else "where opportunity_type = 'new_business'"
        uncovered = Decimal(str(built_warehouse.scalar(
            f"select coalesce(sum(arr_amount), 0) from {built_warehouse.relation('dq_bookings_without_quota')} {condition}")))
        overlaps = built_warehouse.scalar(f"select count(*) from {built_warehouse.relation('dq_overlapping_quotas')}")
        assert overlaps == 0, "generated quotas do not overlap"
        assert org == reps + uncovered, (measure, org, reps, uncovered)
        print(f"\n{measure}: org {org} = reps {reps} + without quota {uncovered}")
    Tally.figures += 2


def test_sdr_roi_matches_recomputation(reference, built_warehouse):
    expected = reference.sdr_roi
    assert len(expected) > 0
    figures = compare(
        expected, mart(built_warehouse, "kpi_sdr_roi"), keys=["user_id", "month_start"],
        exact=["months_since_hire", "sourced_opportunities", "won_opportunities", "is_at_target_roi",
               "target_reached_months_since_hire"],
        money=["sourced_pipeline_arr", "won_arr", "monthly_cost", "cumulative_won_arr", "cumulative_cost"],
        rates=["cumulative_roi"])
    print(f"\nkpi_sdr_roi: {len(expected)} rows, {figures} figures agree")


def test_sdr_roi_cohorts_match_recomputation(reference, built_warehouse):
    expected = reference.sdr_roi_cohorts
    figures = compare(
        expected, mart(built_warehouse, "kpi_sdr_roi_cohorts"), keys=["hire_quarter_start", "team"],
        exact=["sdrs_hired", "sdrs_without_ote", "sdrs_observable", "sdrs_at_target_within_horizon",
               "sdrs_reached_target_so_far"],
        money=["horizon_won_arr", "horizon_cost"], rates=["share_at_target_within_horizon"])
    print(f"\nkpi_sdr_roi_cohorts: {len(expected)} rows, {figures} figures agree")


def test_product_launch_matches_recomputation(launch_case):
    reference, warehouse = launch_case
    expected = reference.product_launch
    assert len(expected) > 0
    figures = compare(
        expected, mart(warehouse, "kpi_product_launch"), keys=["product_id", "month_start"],
        exact=["months_since_launch", "won_opportunities", "starting_customers", "new_customers",
               "reactivated_customers", "churned_customers", "ending_customers", "measured_through"],
        money=["bookings_arr", "new_business_arr", "starting_arr", "new_arr", "reactivation_arr", "expansion_arr",
               "contraction_arr", "churned_arr", "ending_arr", "net_new_arr", "cumulative_bookings_arr"])
    print(f"\nkpi_product_launch: {len(expected)} rows, {figures} figures agree")


def test_product_launch_attainment_matches_recomputation(launch_case):
    reference, warehouse = launch_case
    expected = reference.product_launch_attainment
    actual = mart(warehouse, "kpi_product_launch_attainment")
    actual["segment"] = actual["segment"].fillna("")
    figures = compare(expected, actual, keys=["product_id", "metric", "segment", "period_start", "period_end"],
                      money=["actual_value"], rates=["attainment"])
    print(f"\nkpi_product_launch_attainment: {len(expected)} rows, {figures} figures agree")


def test_zz_report_figures_compared():
    """Prints the total (runs last in this module)."""
    print(f"\nperformance marts: {Tally.figures} figures compared, all equal")
    assert Tally.figures > 0
