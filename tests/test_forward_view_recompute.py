"""Re-computes the forward view (kpi_definitions.md section 7) in plain Python from the raw files.

An independent reading of section 7 and its settled readings: pandas only to
load the raw files, then plain Python with exact decimals. Every figure of
kpi_forecast_categories, kpi_pipeline_coverage and kpi_deal_slippage, and the
pace columns of kpi_org_attainment and kpi_rep_attainment, is compared with a
warehouse built as of a mid-month date: counts exactly, money to the cent,
rates to 1e-9 (the win-rate weighted figures, which go through a float in
the warehouse, to half a cent).

The data: the session's generated company plus a few crafted deals, reps and
quotas that each exercise one reading (CRAFTED_CASES): a deal that slips twice
(once across a quarter boundary, and again after the as-of date, which must
not count), a deal pulled in, a deal without an expected close date, an
overdue open deal, a rep with an annual quota and one with quarterly quotas,
and a stage whose forecast category comes from the stages config.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd
import pytest
from conftest import BuiltWarehouse, build_ok, copy_raw, describe_run, run_build
from test_revenue_recompute import (
    BOOKINGS_TYPES,
    CENT,
    Metrics,
    Raw,
    Tally,
    account_arr,
    blank,
    classify,
    currency_of,
    deals,
    dec,
    frame_rows,
    load_raw,
    money,
    month_end,
    product_arr,
    ratio,
    read_table,
    records,
    to_date,
    to_ts,
)

from sales_kpis.dates import add_months, month_start

pytestmark = pytest.mark.slow

#: Mid-month: the as-of month is measured to date, and the prior dates fall mid-period too.
AS_OF = dt.date(2026, 10, 14)
WIN_RATE_WINDOW_MONTHS = 12
#: The stage whose forecast category the crafted stages config sets (derived, it would be best_case).
CONFIGURED_STAGE, CONFIGURED_CATEGORY = "Proposal", "commit"
CATEGORIES = ("commit", "best_case", "pipeline")


# --------------------------------------------------------------------------- the crafted cases


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


CRAFTED_USERS = [
    # user_id, full_name, role, team, manager_id
    ("U90000", "Fern Forward", "manager", "Forward AE", "U00001"),
    ("U90001", "Ada Annual", "ae", "Forward AE", "U90000"),
    ("U90002", "Quinn Quarterly", "ae", "Forward AE", "U90000"),
]
CRAFTED_QUOTAS = [
    # an annual quota (pro rata by days in a quarter), with last year's for the pace
    ("U90001", "2025-01-01", "2025-12-31", 300000.0),
    ("U90001", "2026-01-01", "2026-12-31", 400000.0),
    # quarterly quotas: the previous, this and the next quarter
    ("U90002", "2026-04-01", "2026-06-30", 90000.0),
    ("U90002", "2026-07-01", "2026-09-30", 100000.0),
    ("U90002", "2026-10-01", "2026-12-31", 120000.0),
    ("U90002", "2027-01-01", "2027-03-31", 130000.0),
]
#: opportunity_id -> (owner, type, current stage, amount, created_at, current close_date, stage entries, saved versions)
#: Saved versions: (changed_at, close_date, amount) as opportunity_history rows; the last is the current state.
CRAFTED_DEALS = {
    # Slips twice by the as-of date: out of September into October (across the Q3/Q4 boundary) and out of
    # October into November; once more after the as-of date (into next quarter), which the build must ignore.
    # In Proposal since 1 September: commit by the stages config.
    "O90000001": ("U90002", "new_business", "Negotiation", 55000.0, "2026-08-01 09:00:00", "2027-01-10",
                  [("Discovery", "2026-08-01 09:00:00"), ("Proposal", "2026-09-01 10:00:00"),
                   ("Negotiation", "2026-10-20 10:00:00")],
                  [("2026-08-01 09:00:00", "2026-09-20", 50000.0), ("2026-09-10 11:00:00", "2026-10-25", None),
                   ("2026-10-05 12:00:00", "2026-11-15", None), ("2026-10-20 10:00:00", "2027-01-10", 55000.0)]),
    # Pulled in from February (next quarter) into December, with an amount revision.
    "O90000002": ("U90002", "expansion", "Negotiation", 32000.0, "2026-07-15 09:00:00", "2026-12-10",
                  [("Discovery", "2026-07-15 09:00:00"), ("Negotiation", "2026-08-20 09:00:00")],
                  [("2026-07-15 09:00:00", "2027-02-15", 30000.0), ("2026-10-02 15:00:00", "2026-12-10", 32000.0)]),
    # Pulled into the as-of month from December.
    "O90000003": ("U90001", "new_business", "Solution", 24000.0, "2026-09-01 09:00:00", "2026-10-30",
                  [("Qualification", "2026-09-01 09:00:00"), ("Solution", "2026-09-15 09:00:00")],
                  [("2026-09-01 09:00:00", "2026-12-20", 20000.0), ("2026-10-08 16:00:00", "2026-10-30", 24000.0)]),
    # Open without an expected close date: in no coverage, category or slippage figure.
    "O90000004": ("U90002", "new_business", "Qualification", 15000.0, "2026-10-03 09:00:00", None,
                  [("Discovery", "2026-10-03 09:00:00"), ("Qualification", "2026-10-06 09:00:00")], []),
    # Overdue: open, expected on 30 September (stale in October, not pipeline; in this year's commit).
    "O90000005": ("U90001", "new_business", "Negotiation", 40000.0, "2026-06-01 09:00:00", "2026-09-30",
                  [("Discovery", "2026-06-01 09:00:00"), ("Negotiation", "2026-07-01 09:00:00")],
                  [("2026-06-01 09:00:00", "2026-09-30", 40000.0)]),
    # Won this quarter (closed won against the annual quota).
    "O90000006": ("U90001", "new_business", "Closed Won", 25000.0, "2026-08-01 09:00:00", "2026-10-05",
                  [("Discovery", "2026-08-01 09:00:00"), ("Closed Won", "2026-10-05 09:00:00")],
                  [("2026-08-01 09:00:00", "2026-10-20", 25000.0), ("2026-10-05 09:00:00", "2026-10-05", None)]),
    # Next quarter's pipeline, no saved history (its current close date and amount stand in).
    "O90000007": ("U90001", "new_business", "Discovery", 60000.0, "2026-09-20 09:00:00", "2027-02-20",
                  [("Discovery", "2026-09-20 09:00:00")], []),
    # Open at the prior date (14 July, in Solution, expected in August), won in September.
    "O90000008": ("U90002", "new_business", "Closed Won", 18000.0, "2026-06-10 09:00:00", "2026-09-12",
                  [("Solution", "2026-06-10 09:00:00"), ("Closed Won", "2026-09-12 09:00:00")],
                  [("2026-06-10 09:00:00", "2026-08-30", 18000.0), ("2026-09-12 09:00:00", "2026-09-12", None)]),
    # A renewal: slips out of October (slippage counts every type), in no coverage or category figure.
    "O90000009": ("U90002", "renewal", "Negotiation", 70000.0, "2026-08-10 09:00:00", "2026-11-20",
                  [("Negotiation", "2026-08-10 09:00:00")],
                  [("2026-08-10 09:00:00", "2026-10-20", 70000.0), ("2026-10-10 09:00:00", "2026-11-20", None)]),
    # Stage 0 in this quarter: omitted, and not pipeline.
    "O90000010": ("U90002", "new_business", "Prospecting", 9000.0, "2026-10-01 09:00:00", "2026-12-01",
                  [("Prospecting", "2026-10-01 09:00:00")], [("2026-10-01 09:00:00", "2026-12-01", 9000.0)]),
}


def add_crafted_cases(raw_dir: Path) -> None:
    """Append the crafted users, quotas, deals and histories to a copy of the generated data; write a stages
    config that gives one stage its forecast category."""

    def append(name: str, rows: list[dict]) -> None:
        path = raw_dir / f"{name}.parquet"
        frame = pd.read_parquet(path)
        added = pd.DataFrame(rows, columns=frame.columns)
        combined = pd.concat([frame.astype(object), added.astype(object)], ignore_index=True)
        for column in frame.columns:
            combined[column] = combined[column].astype(frame[column].dtype) if frame[column].dtype != object \
                else combined[column]
        combined.to_parquet(path, index=False)

    append("users", [{"user_id": user, "full_name": name, "email": f"{user.lower()}@salesco.example", "role": role,
                      "team": team, "segment": None, "region": "NA", "manager_id": manager,
                      "hired_on": day("2024-01-01"), "left_on": None, "annual_ote": 200000.0, "ramp_months": None}
                     for user, name, role, team, manager in CRAFTED_USERS])
    append("quotas", [{"user_id": user, "period_start": day(start), "period_end": day(end), "quota_amount": amount}
                      for user, start, end, amount in CRAFTED_QUOTAS])
    opportunities, entries, versions = [], [], []
    for opportunity_id, (owner, kind, stage, amount, created, close, stage_entries, saved) in CRAFTED_DEALS.items():
        opportunities.append({"opportunity_id": opportunity_id, "account_id": "A00000001", "owner_id": owner,
                              "sourced_by_id": None, "lead_id": None, "product_id": "P001", "opportunity_type": kind,
                              "stage_name": stage, "amount": amount, "currency": "USD", "created_at": ts(created),
                              "close_date": None if close is None else day(close),
                              "updated_at": ts("2026-10-31 12:00:00"), "is_deleted": False})
        entries += [{"opportunity_id": opportunity_id, "stage_name": name, "entered_at": ts(at), "amount": None}
                    for name, at in stage_entries]
        versions += [{"opportunity_id": opportunity_id, "changed_at": ts(at), "close_date": day(close_on),
                      "amount": value, "forecast_category": None} for at, close_on, value in saved]
    append("opportunities", opportunities)
    append("opportunity_stage_history", entries)
    append("opportunity_history", versions)
    stages = pd.read_csv(Path(__file__).resolve().parents[1] / "seeds" / "stages.csv")
    stages["forecast_category"] = [CONFIGURED_CATEGORY if name == CONFIGURED_STAGE else None
                                   for name in stages["stage_name"]]
    stages.to_csv(raw_dir / "stages.csv", index=False)


# --------------------------------------------------------------------------- the raw data, as section 7 reads it


@dataclass
class Opportunity:
    opportunity_id: str
    owner_id: str | None
    opportunity_type: str
    stage_name: str
    raw_amount: Decimal
    currency: str
    created_at: pd.Timestamp
    close_date: dt.date | None
    arr: Decimal  # at the current close date (an open deal without one: at the as-of date)
    is_closed: bool
    is_won: bool
    entries: list[tuple[pd.Timestamp, str]]
    saved: list[tuple[pd.Timestamp, dt.date | None, Decimal | None]]  # opportunity_history by the as-of date

    @property
    def is_bookings_type(self) -> bool:
        return self.opportunity_type in BOOKINGS_TYPES


@dataclass
class Version:
    close_date: dt.date | None
    arr: Decimal
    is_saved: bool


class ForwardRaw:
    """The raw tables read for section 7 (the generic parts through test_revenue_recompute's reader)."""

    def __init__(self, raw_dir: Path, as_of: dt.date):
        self.raw: Raw = load_raw(raw_dir, Path(__file__).resolve().parents[1], as_of)
        self.as_of = as_of
        stages_frame = read_table(raw_dir, "stages")
        self.category = {}
        for row in records(stages_frame):
            self.category[row["stage_name"]] = self.derived_category(row)
        self.users = {row["user_id"]: row for row in records(read_table(raw_dir, "users"))}
        self.quotas = records(read_table(raw_dir, "quotas"))
        self.targets = self.raw.targets
        history = defaultdict(list)
        for row in records(read_table(raw_dir, "opportunity_history")):
            changed = to_ts(row["changed_at"])
            if changed < self.raw.cutoff:
                amount = None if blank(row["amount"]) else dec(row["amount"])
                history[row["opportunity_id"]].append((changed, to_date(row["close_date"]), amount))
        self.deals = deals(self.raw)  # test_revenue_recompute's reading: created by the as-of date, closed, won
        read = {deal.opportunity_id: deal for deal in self.deals}
        self.opportunities: list[Opportunity] = []
        for row in self.raw.opportunities:
            deal = read.get(row["opportunity_id"])
            if deal is None:
                continue
            self.opportunities.append(Opportunity(
                opportunity_id=deal.opportunity_id,
                owner_id=row["owner_id"] if not blank(row["owner_id"]) and row["owner_id"] in self.users else None,
                opportunity_type=deal.opportunity_type,
                stage_name=row["stage_name"],
                raw_amount=dec(row["amount"]),
                currency=currency_of(row["currency"]),
                created_at=deal.created_at,
                close_date=deal.close_date,
                arr=deal.arr,
                is_closed=deal.is_closed,
                is_won=deal.is_won,
                entries=deal.entries,
                saved=sorted(history.get(row["opportunity_id"], []), key=lambda item: item[0]),
            ))

    def derived_category(self, row: dict) -> str:
        """The config's category, else: won closed, lost omitted, stage 0 omitted, by forecast probability."""
        if not blank(row.get("forecast_category")) and str(row["forecast_category"]).strip():
            return str(row["forecast_category"]).strip().lower()
        closed, won = str(row["is_closed"]).lower() == "true", str(row["is_won"]).lower() == "true"
        if won:
            return "closed"
        if closed or (not blank(row["stage_number"]) and int(row["stage_number"]) == 0):
            return "omitted"
        probability = Decimal(str(row["forecast_probability"]))
        return "commit" if probability >= Decimal("0.7") else "best_case" if probability >= Decimal("0.4") else "pipeline"

    # ----------------------------------------------------------------- a deal as known at a date

    def is_open(self, deal: Opportunity, on: dt.date) -> bool:
        """Created by the end of `on` and not closed then (a deal closed later was open)."""
        return deal.created_at < pd.Timestamp(on + dt.timedelta(days=1)) and not (
            self.raw.stages[deal.stage_name]["closed"] and deal.close_date is not None and deal.close_date <= on)

    def stage_at(self, deal: Opportunity, on: dt.date) -> str | None:
        """The last stage entered by the end of `on` (ties: the won stage, then the name)."""
        limit = pd.Timestamp(on + dt.timedelta(days=1))
        known = [(at, name) for at, name in deal.entries if at < limit]
        if not known:
            return None
        latest = max(at for at, _ in known)
        return sorted((not self.raw.stages[name]["won"], name) for at, name in known if at == latest)[0][1]

    def versions_by(self, deal: Opportunity, on: dt.date) -> list[tuple[pd.Timestamp, Version]]:
        """The saved versions by the end of `on`: each row's null close date or amount keeps the previous value,
        before any value the deal's current one."""
        limit = pd.Timestamp(on + dt.timedelta(days=1))
        out, close, amount = [], None, None
        for changed, close_date, value in deal.saved:
            if changed >= limit:
                break
            close = close_date if close_date is not None else close
            amount = value if value is not None else amount
            out.append((changed, self.version(deal, close if close is not None else deal.close_date,
                                              amount if amount is not None else deal.raw_amount, True)))
        return out

    def version(self, deal: Opportunity, close: dt.date | None, amount: Decimal, saved: bool) -> Version:
        if close is None:
            return Version(None, Decimal(0), saved)
        try:
            rate = self.raw.rate(deal.currency, close)
        except AssertionError:  # before any rate of the currency: the rate at the current close date
            rate = self.raw.rate(deal.currency, deal.close_date)
        return Version(close, money(max(amount, Decimal(0)) * rate), saved)

    def known_at(self, deal: Opportunity, on: dt.date) -> Version:
        """The expected close date and arr as known at the end of `on`: the last saved version, else the current."""
        saved = self.versions_by(deal, on)
        return saved[-1][1] if saved else self.version(deal, deal.close_date, deal.raw_amount, False)

    # ----------------------------------------------------------------- levels

    def levels(self, owner: str | None) -> list[tuple[str, str | None]]:
        """(level, level_key) rows an owner's figures count at: company always; team, manager, rep for a user."""
        out = [("company", None)]
        user = self.users.get(owner) if owner else None
        if user is not None:
            out.append(("team", user["team"] if not blank(user["team"]) else "unknown"))
            if not blank(user["manager_id"]):
                out.append(("manager", user["manager_id"]))
            out.append(("rep", owner))
        return out


# --------------------------------------------------------------------------- section 7: periods, win rates, terms


def quarter_start(on: dt.date) -> dt.date:
    return dt.date(on.year, 3 * ((on.month - 1) // 3) + 1, 1)


def forward_periods(as_of: dt.date) -> dict[str, dict]:
    """This fiscal quarter, the next, this fiscal year (fiscal year = calendar year here), each with the previous
    period of its grain seen as many days into it as the as-of date is into this one."""
    this_quarter = quarter_start(as_of)
    out = {}
    for name, grain, start, months in (("this_quarter", "quarter", this_quarter, 3),
                                       ("next_quarter", "quarter", add_months(this_quarter, 3), 3),
                                       ("this_year", "year", dt.date(as_of.year, 1, 1), 12)):
        end = add_months(start, months) - dt.timedelta(days=1)
        prior_start = add_months(start, -months)
        prior_end = start - dt.timedelta(days=1)
        prior_as_of = min(prior_start + (as_of - start), prior_end)
        out[name] = {"grain": grain, "start": start, "end": end, "prior_start": prior_start,
                     "prior_end": prior_end, "prior_as_of": prior_as_of}
    return out


def first_reached(forward: ForwardRaw, deal: Opportunity, k: int) -> pd.Timestamp | None:
    times = [at for at, name in deal.entries
             if forward.raw.stages[name]["number"] is not None and forward.raw.stages[name]["number"] >= k]
    return min(times) if times else None


def win_rates(forward: ForwardRaw, on: dt.date) -> dict[int, float]:
    """Stage number -> the won share of the ARR of bookings-type deals closed in the 12 months to `on` that had
    reached it by then (kpi_forecast's stage win rates)."""
    window_from = add_months(month_start(on), -WIN_RATE_WINDOW_MONTHS)
    window_from = window_from.replace(day=min(on.day, (month_end(window_from) - window_from).days + 1))
    limit = pd.Timestamp(on + dt.timedelta(days=1))
    numbers = {stage["number"] for stage in forward.raw.stages.values() if stage["number"] is not None}
    won, closed = defaultdict(Decimal), defaultdict(Decimal)
    for deal in forward.opportunities:
        if not deal.is_bookings_type or not deal.is_closed or not (window_from < deal.close_date <= on):
            continue
        for k in numbers:
            reached = first_reached(forward, deal, k)
            if reached is not None and reached < limit:
                won[k] += deal.arr if deal.is_won else 0
                closed[k] += deal.arr
    return {k: float(won[k]) / float(closed[k]) for k in closed if closed[k]}


def quota_share(row: dict, start: dt.date, end: dt.date) -> Decimal:
    """A quota row's share of a window, pro rata by days, to the cent (a row inside the window counts whole)."""
    first, last = to_date(row["period_start"]), to_date(row["period_end"])
    if last < first or last < start or first > end:
        return Decimal(0)
    shared = (min(last, end) - max(first, start)).days + 1
    return (dec(row["quota_amount"]) * shared / ((last - first).days + 1)).quantize(CENT, rounding=ROUND_HALF_UP)


def window_terms(forward: ForwardRaw, start: dt.date, end: dt.date, on: dt.date) -> dict:
    """(level, key) -> the window's terms as known at `on`, and the company's quota or target."""
    terms: dict = defaultdict(lambda: defaultdict(Decimal))
    weighted: dict = defaultdict(float)
    rates = win_rates(forward, on)

    def add(owner, column, value):
        for level in forward.levels(owner):
            terms[level][column] += value

    for deal in forward.opportunities:
        if not deal.is_bookings_type:
            continue
        if deal.is_won and start <= deal.close_date <= min(end, on):
            add(deal.owner_id, "closed_won_arr", deal.arr)
        if not forward.is_open(deal, on):
            continue
        known = forward.known_at(deal, on)
        if known.close_date is None or not (start <= known.close_date <= end):
            continue  # no expected close date, or outside the window
        stage = forward.stage_at(deal, on)
        category = forward.category.get(stage) if stage else None
        if category in CATEGORIES:
            add(deal.owner_id, f"{category}_arr", known.arr)
        number = forward.raw.stages[stage]["number"] if stage else None
        add(deal.owner_id, "deals", Decimal(0))  # the owner has a row
        if number is not None and number >= 1 and known.close_date > on:
            add(deal.owner_id, "open_pipeline_arr", known.arr)
            for level in forward.levels(deal.owner_id):
                weighted[level] += float(known.arr) * rates.get(number, 0.0)
    for row in forward.quotas:
        share = quota_share(row, start, end)
        if share or (to_date(row["period_start"]) <= end and to_date(row["period_end"]) >= start):
            add(row["user_id"] if row["user_id"] in forward.users else None, "quota_arr", share)
    company_target = None
    for metric in ("bookings_arr", "new_business_arr"):
        for target in forward.targets:
            if (str(target["metric"]).strip().lower() == metric and blank(target["segment"])
                    and blank(target["product_id"]) and to_date(target["period_start"]) == start
                    and to_date(target["period_end"]) == end):
                company_target = dec(target["target_value"])
        if company_target is not None:
            break
    terms[("company", None)]  # every window has a company row
    out = {}
    for level, values in terms.items():
        quota = values["quota_arr"]
        if level[0] == "company" and company_target is not None:
            quota = company_target
        out[level] = defaultdict(Decimal, {**values, "weighted_pipeline_arr": weighted[level], "quota_or_target": quota})
    return out


@pytest.fixture(scope="module")
def built(generated_raw_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> BuiltWarehouse:
    """The generated company with the crafted cases, built as of AS_OF."""
    raw_dir = copy_raw(generated_raw_dir, tmp_path_factory.mktemp("forward") / "raw")
    add_crafted_cases(raw_dir)
    workdir = tmp_path_factory.mktemp("forward_build")
    run = run_build(raw_dir, workdir, as_of=AS_OF.isoformat())
    assert build_ok(run), describe_run(run)
    return BuiltWarehouse(database=workdir / "wh.duckdb", raw_dir=raw_dir, run=run, target_path=workdir / "target",
                          as_of=AS_OF.isoformat())


def mart_rows(warehouse: BuiltWarehouse, name: str) -> list[dict]:
    return frame_rows(warehouse, f"select * from {warehouse.relation(name)}")


@pytest.fixture(scope="module")
def forward(built) -> ForwardRaw:
    return ForwardRaw(built.raw_dir, AS_OF)


def nonzero(values: dict, columns) -> bool:
    return any(values.get(column) for column in columns)


def compare_rows(tally: Tally, name: str, expected: dict, warehouse: list[dict], key, columns) -> None:
    """Rows keyed by `key`: every expected row with a figure is in the warehouse, every other warehouse row is 0."""
    got = {key(row): row for row in warehouse}
    tally.count(f"{name} unique keys", len(got), len(warehouse))
    for row_key, values in expected.items():
        if row_key not in got and nonzero(values, columns):
            tally.mismatches.append(f"{name}: missing row {row_key}")
    for row_key, row in got.items():
        if row_key not in expected and any(row.get(column) for column in columns):
            tally.mismatches.append(f"{name}: unexpected row {row_key}: {[row.get(c) for c in columns]}")


# --------------------------------------------------------------------------- the crafted cases are there


def test_the_crafted_cases_are_in_the_raw_data(forward):
    deals = {deal.opportunity_id: deal for deal in forward.opportunities}
    assert forward.category[CONFIGURED_STAGE] == CONFIGURED_CATEGORY
    slipper = deals["O90000001"]
    assert [version.close_date for _, version in forward.versions_by(slipper, AS_OF)] == \
        [day("2026-09-20"), day("2026-10-25"), day("2026-11-15")]
    assert forward.known_at(slipper, AS_OF).arr == Decimal("50000.00")  # the revision after the as-of date is not known
    assert slipper.close_date == day("2027-01-10") and forward.stage_at(slipper, AS_OF) == CONFIGURED_STAGE
    assert deals["O90000004"].close_date is None and forward.is_open(deals["O90000004"], AS_OF)
    assert forward.is_open(deals["O90000005"], AS_OF) and deals["O90000005"].close_date < AS_OF
    assert AS_OF.day not in (1, (month_end(AS_OF) - month_start(AS_OF)).days + 1)


# --------------------------------------------------------------------------- kpi_forecast_categories, kpi_pipeline_coverage


@pytest.fixture(scope="module")
def forward_terms(forward) -> dict:
    """period -> {'current': terms, 'prior': terms}."""
    out = {}
    for name, period in forward_periods(AS_OF).items():
        out[name] = {"current": window_terms(forward, period["start"], period["end"], AS_OF),
                     "prior": window_terms(forward, period["prior_start"], period["prior_end"], period["prior_as_of"])}
    return out


def level_key(row: dict) -> tuple:
    return row["period_name"], (row["level"], row["level_key"])


def test_forecast_categories_recomputed(built, forward_terms):
    warehouse = mart_rows(built, "kpi_forecast_categories")
    periods = forward_periods(AS_OF)
    tally = Tally()
    expected = {(name, level): values for name, windows in forward_terms.items()
                for level, values in windows["current"].items()}
    columns = ("closed_won_arr", "commit_arr", "best_case_arr", "pipeline_arr", "quota_or_target")
    compare_rows(tally, "kpi_forecast_categories", expected, warehouse, level_key, columns)
    assert {row["period_name"] for row in warehouse} == set(periods)
    for row in warehouse:
        ours = expected.get(level_key(row), defaultdict(Decimal))
        period = periods[row["period_name"]]
        label = f"{row['period_name']}|{row['level']}|{row['level_key']}"
        tally.count(f"{label} period", 1, (to_date(row["period_start"]), to_date(row["period_end"]))
                    == (period["start"], period["end"]))
        for column in columns:
            tally.money(f"{label} {column}", ours[column], row[column])
        commit = ours["closed_won_arr"] + ours["commit_arr"]
        best = commit + ours["best_case_arr"]
        tally.money(f"{label} commit_forecast_arr", commit, row["commit_forecast_arr"])
        tally.money(f"{label} best_case_forecast_arr", best, row["best_case_forecast_arr"])
        tally.rate(f"{label} commit_attainment", ratio(commit, ours["quota_or_target"]), row["commit_attainment"])
        tally.rate(f"{label} best_case_attainment", ratio(best, ours["quota_or_target"]), row["best_case_attainment"])
    crafted = expected[("this_quarter", ("rep", "U90002"))]
    # the twice-slipped deal, in the configured commit stage, at its amount as known at the as-of date
    assert crafted["commit_arr"] >= Decimal("50000.00")
    assert expected[("this_quarter", ("rep", "U90001"))]["quota_or_target"] == quota_share(
        {"period_start": "2026-01-01", "period_end": "2026-12-31", "quota_amount": 400000.0},
        periods["this_quarter"]["start"], periods["this_quarter"]["end"])
    print(f"kpi_forecast_categories: {tally.compared} figures compared over {len(warehouse)} rows")
    tally.check()


def test_pipeline_coverage_recomputed(built, forward_terms):
    warehouse = mart_rows(built, "kpi_pipeline_coverage")
    periods = forward_periods(AS_OF)
    tally = Tally()
    expected = {}
    for name, windows in forward_terms.items():
        for side, prefix in (("current", ""), ("prior", "prior_")):
            for level, values in windows[side].items():
                row = expected.setdefault((name, level), defaultdict(Decimal))
                row[f"{prefix}weighted_pipeline_arr"] = values["weighted_pipeline_arr"]
                for column in ("closed_won_arr", "quota_or_target", "open_pipeline_arr"):
                    row[f"{prefix}{column}"] = values[column]
    columns = ("closed_won_arr", "quota_or_target", "open_pipeline_arr", "prior_closed_won_arr",
               "prior_quota_or_target", "prior_open_pipeline_arr")
    compare_rows(tally, "kpi_pipeline_coverage", expected, warehouse, level_key, columns)
    for row in warehouse:
        ours = expected.get(level_key(row), defaultdict(Decimal))
        period = periods[row["period_name"]]
        label = f"{row['period_name']}|{row['level']}|{row['level_key']}"
        tally.count(f"{label} prior dates", 1, (to_date(row["prior_period_start"]), to_date(row["prior_as_of_date"]))
                    == (period["prior_start"], period["prior_as_of"]))
        for prefix in ("", "prior_"):
            remaining = max(ours[f"{prefix}quota_or_target"] - ours[f"{prefix}closed_won_arr"], Decimal(0))
            for column in ("closed_won_arr", "quota_or_target", "open_pipeline_arr"):
                tally.money(f"{label} {prefix}{column}", ours[f"{prefix}{column}"], row[f"{prefix}{column}"])
            tally.money(f"{label} {prefix}remaining_target", remaining, row[f"{prefix}remaining_target"])
            weighted = float(ours[f"{prefix}weighted_pipeline_arr"] or 0)
            tally.near_money(f"{label} {prefix}weighted_pipeline_arr", weighted, row[f"{prefix}weighted_pipeline_arr"])
            coverage_name = "coverage" if not prefix else "prior_coverage"
            tally.rate(f"{label} {coverage_name}", ratio(ours[f"{prefix}open_pipeline_arr"], remaining), row[coverage_name])
            # weighted coverage: the warehouse's weighted pipeline is a float sum rounded to the cent
            published = row[f"{prefix}weighted_coverage"]
            tally.compared += 1
            if (published is None) != (remaining == 0) or (
                    published is not None and abs(published * float(remaining) - weighted) > 0.0051):
                tally.mismatches.append(f"{label} {prefix}weighted_coverage: python {weighted} / {remaining} "
                                        f"vs warehouse {published}")
    this_quarter = expected[("this_quarter", ("company", None))]
    assert this_quarter["open_pipeline_arr"] > 0 and this_quarter["prior_open_pipeline_arr"] > 0
    print(f"kpi_pipeline_coverage: {tally.compared} figures compared over {len(warehouse)} rows")
    tally.check()


# --------------------------------------------------------------------------- kpi_deal_slippage


def slippage(forward: ForwardRaw) -> tuple[dict, set]:
    """(month, level) -> slipped / pulled-in deals and ARR and stale deals; and the months stale deals are
    measured in."""
    out: dict = defaultdict(lambda: defaultdict(Decimal))
    for deal in forward.opportunities:
        arr = forward.known_at(deal, AS_OF).arr if not deal.is_closed else deal.arr
        saved = forward.versions_by(deal, AS_OF)
        for (_, before), (changed, after) in zip(saved, saved[1:]):
            if before.close_date is None or after.close_date is None:
                continue
            if deal.is_closed and changed.date() > deal.close_date:
                continue  # saved after the deal closed
            old, new = month_start(before.close_date), month_start(after.close_date)
            if new > old:
                for level in forward.levels(deal.owner_id):
                    out[(old, level)]["slipped_deals"] += 1
                    out[(old, level)]["slipped_arr"] += arr
            elif new < old:
                for level in forward.levels(deal.owner_id):
                    out[(new, level)]["pulled_in_deals"] += 1
                    out[(new, level)]["pulled_in_arr"] += arr
    first_saved = min((changed for deal in forward.opportunities for changed, _, _ in deal.saved), default=None)
    months = [month_start(AS_OF)]
    if first_saved is not None:
        months = []
        month = month_start(first_saved.date())
        while month <= AS_OF:
            months.append(month)
            month = add_months(month, 1)
    for month in months:
        measured = min(month_end(month), AS_OF)
        out[(month, ("company", None))]["stale_deals"] += 0
        for deal in forward.opportunities:
            if deal.created_at.date() > measured or not forward.is_open(deal, measured):
                continue
            known = forward.known_at(deal, measured)
            if known.close_date is not None and known.close_date < measured:
                for level in forward.levels(deal.owner_id):
                    out[(month, level)]["stale_deals"] += 1
    return out, set(months)


def test_deal_slippage_recomputed(built, forward):
    warehouse = mart_rows(built, "kpi_deal_slippage")
    expected, stale_months = slippage(forward)
    assert any(deal.saved for deal in forward.opportunities)
    tally = Tally()
    columns = ("slipped_deals", "slipped_arr", "pulled_in_deals", "pulled_in_arr", "stale_deals")
    compare_rows(tally, "kpi_deal_slippage", expected, warehouse,
                 lambda row: (to_date(row["month_start"]), (row["level"], row["level_key"])), columns)
    for row in warehouse:
        month = to_date(row["month_start"])
        ours = expected.get((month, (row["level"], row["level_key"])), defaultdict(Decimal))
        label = f"{month}|{row['level']}|{row['level_key']}"
        for column in ("slipped_deals", "pulled_in_deals"):
            tally.count(f"{label} {column}", ours[column], row[column])
        for column in ("slipped_arr", "pulled_in_arr"):
            tally.money(f"{label} {column}", ours[column], row[column])
        if month in stale_months:
            tally.count(f"{label} stale_deals", ours["stale_deals"], row["stale_deals"])
            tally.count(f"{label} stale measured on", 1, to_date(row["stale_measured_on"]) == min(month_end(month), AS_OF))
        else:
            tally.count(f"{label} stale not measured", 1, row["stale_deals"] is None)
    rep = lambda month: expected[(day(month), ("rep", "U90002"))]  # noqa: E731
    # the deal slipping out of September (into Q4) and out of October, and the renewal slipping out of October
    assert rep("2026-09-01")["slipped_deals"] >= 1 and rep("2026-10-01")["slipped_deals"] >= 2
    assert rep("2026-12-01")["pulled_in_deals"] >= 1  # pulled in from February
    assert expected[(day("2026-10-01"), ("rep", "U90001"))]["pulled_in_deals"] >= 1
    assert expected[(day("2026-10-01"), ("rep", "U90001"))]["stale_deals"] >= 1  # the overdue deal
    print(f"kpi_deal_slippage: {tally.compared} figures compared over {len(warehouse)} rows")
    tally.check()


# --------------------------------------------------------------------------- pace against the previous period


def elapsed_days(start: dt.date, end: dt.date) -> int:
    return 0 if AS_OF < start else (end - start).days + 1 if AS_OF >= end else (AS_OF - start).days + 1


def months_long(first: dt.date, last: dt.date) -> int:
    """Month boundaries from a period's first day to the day after its last (SQL datediff in months)."""
    after = last + dt.timedelta(days=1)
    return after.year * 12 + after.month - first.year * 12 - first.month


def test_rep_pace_recomputed(built, forward):
    warehouse = mart_rows(built, "kpi_rep_attainment")
    quotas = {(row["user_id"], to_date(row["period_start"])): row for row in forward.quotas}
    tally = Tally()
    with_prior = 0
    for got in warehouse:
        start, end = to_date(got["period_start"]), to_date(got["period_end"])
        label = f"{got['user_id']}|{start}"
        previous = [row for (user, _), row in quotas.items() if user == got["user_id"]
                    and to_date(row["period_end"]) == start - dt.timedelta(days=1)
                    and months_long(to_date(row["period_start"]), to_date(row["period_end"])) == months_long(start, end)]
        if not previous:
            tally.count(f"{label} no prior", 1, got["prior_period_attainment_to_date"] is None
                        and got["prior_period_quota_amount"] is None)
            continue
        with_prior += 1
        prior = previous[0]
        prior_start, prior_end = to_date(prior["period_start"]), to_date(prior["period_end"])
        through = min(prior_end, prior_start + dt.timedelta(days=elapsed_days(start, end) - 1))
        bookings = sum((deal.arr for deal in forward.opportunities
                        if deal.is_won and deal.is_bookings_type and deal.owner_id == got["user_id"]
                        and prior_start <= deal.close_date <= through), Decimal(0))
        quota = dec(prior["quota_amount"])
        tally.money(f"{label} prior_period_quota_amount", quota, got["prior_period_quota_amount"])
        tally.money(f"{label} prior_period_bookings_arr_to_date", bookings, got["prior_period_bookings_arr_to_date"])
        tally.rate(f"{label} prior_period_attainment_to_date", ratio(bookings, quota),
                   got["prior_period_attainment_to_date"])
    assert with_prior and any(row["user_id"] == "U90001" and row["prior_period_quota_amount"] for row in warehouse)
    print(f"kpi_rep_attainment pace: {tally.compared} figures compared, {with_prior} rows with a prior period")
    tally.check()


def org_metrics(forward: ForwardRaw) -> Metrics:
    """test_revenue_recompute's org metrics (daily events per metric) of the same raw data."""
    products = product_arr(forward.raw)
    return Metrics(forward.raw, forward.deals, products, classify(account_arr(products), forward.raw.as_of))


PERIOD_MONTHS = {"month": 1, "quarter": 3, "year": 12}


def grain_of(start: dt.date, end: dt.date) -> str:
    for grain, months in PERIOD_MONTHS.items():
        if start.day == 1 and (grain != "quarter" or start.month % 3 == 1) and (grain != "year" or start.month == 1) \
                and add_months(start, months) - dt.timedelta(days=1) == end:
            return grain
    return "custom"


def test_org_pace_recomputed(built, forward):
    """Month-end ARR metrics (net_new_arr, expansion_arr) in a previous period count only month ends inside its
    measured days, all of them complete months: the re-computation's month ends are exact there."""
    warehouse = mart_rows(built, "kpi_org_attainment")
    metrics = org_metrics(forward)
    measured = {"new_business_arr", "bookings_arr", "net_new_arr", "expansion_arr", "stage1_opportunities", "sqls"}
    targets = {}
    for target in forward.targets:
        key = (str(target["metric"]).strip().lower(), None if blank(target["segment"]) else target["segment"],
               None if blank(target["product_id"]) else target["product_id"])
        targets[(*key, to_date(target["period_start"]), to_date(target["period_end"]))] = target
    tally = Tally()
    with_prior = 0
    for got in warehouse:
        metric, segment, product = got["metric"], got["segment"], got["product_id"]
        start, end = to_date(got["period_start"]), to_date(got["period_end"])
        label = f"{metric}|{segment}|{product}|{start}"
        grain = grain_of(start, end)
        previous = [key for key in targets if key[:3] == (metric, segment, product)
                    and key[4] == start - dt.timedelta(days=1) and grain_of(key[3], key[4]) == grain
                    and (grain != "custom" or (key[4] - key[3]) == (end - start))]
        measurable = metric in measured and not (metric == "sqls" and (segment or product))
        if not previous or not measurable or got["metric_status"] != "measured":
            tally.count(f"{label} no prior", 1, got["prior_period_attainment_to_date"] is None)
            continue
        with_prior += 1
        prior_start, prior_end = previous[0][3], previous[0][4]
        through = min(prior_end, prior_start + dt.timedelta(days=elapsed_days(start, end) - 1))
        actual = metrics.total(metric, prior_start, through, segment, product) if through >= prior_start else Decimal(0)
        target_value = dec(targets[previous[0]]["target_value"])
        tally.money(f"{label} prior_period_target_value", target_value, got["prior_period_target_value"])
        tally.money(f"{label} prior_period_actual_to_date", actual, got["prior_period_actual_to_date"])
        tally.rate(f"{label} prior_period_attainment_to_date", ratio(actual, target_value),
                   got["prior_period_attainment_to_date"])
    assert with_prior
    print(f"kpi_org_attainment pace: {tally.compared} figures compared, {with_prior} targets with a prior period")
    tally.check()
