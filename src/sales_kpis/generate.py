"""Deterministic, vectorised sample CRM data for sales-kpis.

``generate(out_dir, seed=42, leads=10_000, ...)`` writes every table of the raw
contract (``contract.TABLES``) except the ``stages`` seed, which ships with the
project (``contract.DEFAULT_STAGES``; every stage name written here is one of
those), as ``<table>.parquet`` (or ``.csv``) in ``out_dir`` and returns
``{table: row_count}``. Same arguments give byte-identical files: all
randomness comes from one ``numpy.random.default_rng(seed)`` consumed in a fixed
order, nothing depends on the wall clock. Leads (the big table) are generated month
by month and every table is written one Parquet row group (1,048,576 rows) at
a time; everything else is a small fraction of the leads, and what a later
step does not need is let go once written, so memory stays bounded (10M leads
in about 0.5 GiB, 100M leads in about 3 GiB).

The company
-----------
A B2B SaaS vendor selling a **Core Platform** (plus an *Analytics Add-on* and a
*Security Suite*) to SMB, Mid-Market and Enterprise accounts in NA, EMEA (EUR
and GBP deals) and APAC. It already has a customer base when the CRM history
starts (``start_date``): "legacy" accounts whose subscriptions began up to three
years earlier (no opportunities for them before ``start_date``). From then on:

* Leads arrive from five sources of clearly different quality (lead-to-SQL
  roughly: referral 12 %, partner 7 %, inbound 4 %, event 3.6 %, outbound 3.4 %;
  SQL-to-won: referral best, then partner, inbound, outbound, event), grow about
  45 % a year, with monthly seasonality (slow summer and December, strong Q1),
  a quarter-end push, weekday effects, conference spikes for event leads, and
  outbound volume that follows the outbound-SDR headcount.
* SDRs (Inbound / Outbound teams) qualify leads into SQLs; ~70 % of SQLs convert
  into a new-business opportunity and a new account, owned by an AE of the
  account's segment (SMB ~30-day, Mid-Market ~65-day, Enterprise ~120-day cycles,
  ARR around 10k / 40k / 150k USD). Reps have individual skill and ramp up over
  their first months; people are hired as the company grows, leave and are
  backfilled. Deals skip stages, move backwards, get lost from any stage and a
  few are lost, reopened and won; won deals bunch up at quarter end.
* Won deals start subscriptions: annual terms that renew (renewal opportunities
  owned by Account Managers; flat, price uplift, downsell = contraction, or
  churn) or evergreen contracts that churn at a segment-dependent hazard; some
  churned customers are won back later (reactivation). Customers buy add-ons
  (expansion opportunities and subscriptions).
* **Product launch**: the *AI Assistant* launches about 60 % of the way through
  the range (``launched_on``); from then on it is cross-sold to the base and
  increasingly bundled into new deals, with its own quarterly targets.

The funnel story (what the diagnosis marts should find)
--------------------------------------------------------
In the last ~9 months before ``end_date`` marketing runs a *Field Roadshow
Blitz* (lead_source ``event``, campaign ``Field Roadshow Blitz <year>``): event
lead volume rises sharply (to about 4x), so total leads are up strongly, but
those leads barely qualify (lead-to-SQL under 1 % instead of ~3.6 %, and about
half the usual win rate). At the same time there is an **SDR hiring freeze**: SDR headcount stays
flat (departures are only backfilled), so leads per SDR climb. SQLs per SDR
and the conversion rates of every other source stay where they were, so
"leads are up but sales are not" reads as a **lead-quality** problem (one
source/campaign), not an SDR-capacity problem. Company targets for the current
fiscal year assume the usual ~45 % growth, so the year-end forecast shows a gap.

Other things later KPIs can find: after 12 months the median outbound SDR is at
about 2.5x cumulative ROI (won ARR they sourced / OTE cost) and only about a
quarter reach 4x, while inbound SDRs get there more easily; AE attainment
spreads widely (median ~0.7-0.8 of quota, ~30 % of ramped rep-quarters at
quota), ramping reps book less; quotas are a multiple of OTE calibrated on the
data and rise ~5 % a year; net revenue retention runs around 100 % (uplifts and
add-ons offset ~10 % gross churn). The CRM history starts at ``start_date``, so
the first quarter's new business is lower while the first pipeline matures.

Deliberate (contract-clean) quirks: ~1 % leads with null source, ~0.5 % deleted
leads and opportunities (and other is_deleted values false or null), a few
converted leads whose ``converted_opportunity_id`` is null although an
opportunity carries their ``lead_id``, a few leads with two opportunities, ~3 %
of opportunities without stage history, ~2 % null amounts (never on won deals),
~1 % null currencies (USD deals), open deals whose expected close date has
slipped into the past, a few overlapping subscriptions and churn dates on the
first of a month. The data is clean against the contract: unique non-null
keys, resolving foreign keys, valid stage names, no negative amounts, close
dates on or after creation, exchange rates for every non-USD date, and no event
after ``end_date`` (except expected close dates of open deals, quotas and
targets for the fiscal year containing ``end_date``, and null ``ends_on`` of
active subscriptions).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from sales_kpis.contract import DEFAULT_STAGES, TABLES, arrow_type
from sales_kpis.dates import add_months, month_index, month_start_of_index

__all__ = ["GENERATED_TABLES", "generate"]

#: Tables written by :func:`generate`, in contract order (``stages`` is a seed).
GENERATED_TABLES = [name for name in TABLES if name != "stages"]

SEC = 1_000_000
HOUR = 3_600 * SEC
DAY = 86_400 * SEC
FAR = 10_000_000  # "never" as a day number (safe to multiply by DAY in int64)

# --- stages (from the shipped default funnel) --------------------------------
_OPEN_STAGES = [s[0] for s in sorted((s for s in DEFAULT_STAGES if not s[2]), key=lambda s: s[1])]
_WON_STAGE = next(s[0] for s in DEFAULT_STAGES if s[3])
_LOST_STAGE = next(s[0] for s in DEFAULT_STAGES if s[2] and not s[3])
STAGE_NAMES = _OPEN_STAGES + [_WON_STAGE, _LOST_STAGE]
N_OPEN = len(_OPEN_STAGES)
WON = N_OPEN
LOST = N_OPEN + 1
_TOP = N_OPEN - 1  # last open stage (e.g. Negotiation)

# --- dimensions ---------------------------------------------------------------
SEGMENTS = ["SMB", "Mid-Market", "Enterprise"]
REGIONS = ["NA", "EMEA", "APAC"]
REGION_P = np.array([0.58, 0.30, 0.12])
CURRENCIES = ["USD", "EUR", "GBP"]
SOURCES = ["inbound", "outbound", "partner", "event", "referral"]

# Lead streams: the five sources, null source, and the roadshow blitz (source event).
INBOUND, OUTBOUND, PARTNER, EVENT, REFERRAL, UNKNOWN, BLITZ = range(7)
N_STREAMS = 7
_STREAM_SOURCE = np.array([0, 1, 2, 3, 4, -1, 3])
_STREAM_SHARE = np.array([0.40, 0.28, 0.08, 0.13, 0.10, 0.01])
_P_MQL = np.array([0.35, 0.0, 0.45, 0.30, 0.55, 0.25, 0.25])
_P_SQL = np.array([0.040, 0.034, 0.070, 0.036, 0.120, 0.026, 0.007])
_P_WIN = np.array([0.22, 0.20, 0.27, 0.18, 0.33, 0.18, 0.08])
_P_NO_SDR = np.array([0.03, 0.0, 0.10, 0.02, 0.25, 0.20, 0.02])
_SEG_MIX = np.array([
    [0.72, 0.22, 0.06], [0.36, 0.44, 0.20], [0.52, 0.35, 0.13], [0.56, 0.33, 0.11],
    [0.52, 0.35, 0.13], [0.60, 0.30, 0.10], [0.65, 0.28, 0.07],
])
_SEG_SQL = np.array([1.0, 0.95, 0.90])
_SEG_WIN = np.array([1.05, 1.0, 0.78])
_SEG_CYCLE = np.array([30.0, 65.0, 120.0])
_SEG_MEDIAN = np.array([10_000.0, 40_000.0, 150_000.0])
_SEG_SIGMA = np.array([0.45, 0.50, 0.60])
_SEG_ANNUAL_CHURN = np.array([0.14, 0.09, 0.06])
_SEG_EVERGREEN_LIFE = np.array([4.5, 7.0, 10.0]) * 365.25  # mean days
_SEG_EXPANSION_RATE = np.array([0.30, 0.65, 1.10])  # expansion opportunities / year
_SEASON = np.array([1.10, 1.05, 1.12, 1.0, 1.0, 0.95, 0.85, 0.80, 1.05, 1.10, 1.0, 0.75])
_WD_IN = np.array([1.12, 1.10, 1.06, 1.0, 0.85, 0.30, 0.25])
_WD_OUT = np.array([1.10, 1.10, 1.05, 1.0, 0.80, 0.02, 0.01])
_WD_BLITZ = np.array([0.9, 1.3, 1.3, 1.3, 0.8, 0.15, 0.1])
_TOD_CENTER = np.array([16.5, 10.5, 3.0]) * 3600  # UTC business-hours centre per region

_CAMPAIGNS = {
    INBOUND: (["Website", "Paid Search", "Content - eBook", "Webinar", "Free Trial"],
              [0.30, 0.25, 0.15, 0.12, 0.08]),
    OUTBOUND: (["Outbound - Cold Email", "Outbound - Cold Call", "Outbound - LinkedIn"], [0.35, 0.15, 0.10]),
    PARTNER: (["Partner Referral Program", "Reseller Co-Marketing"], [0.55, 0.25]),
    EVENT: (["Regional Roadshow", "Executive Dinner", "Virtual Summit"], [0.40, 0.25, 0.25]),
    REFERRAL: (["Customer Referral", "Employee Referral"], [0.40, 0.10]),
    UNKNOWN: (["Website"], [0.10]),
}
_EVENTS = [  # (month, day, name): conferences with lead spikes every year
    (3, 12, "SXSW"), (4, 29, "RSA Conference"), (6, 4, "SaaStr Europa"), (6, 18, "Collision"),
    (9, 10, "SaaStr Annual"), (10, 15, "Dreamforce"), (11, 12, "Web Summit"), (12, 2, "AWS re:Invent"),
]
_INDUSTRIES = ["Software", "Financial Services", "Healthcare", "Retail", "Manufacturing", "Education",
               "Media", "Logistics", "Professional Services", "Telecommunications", "Energy", "Public Sector"]
_INDUSTRY_P = np.array([0.20, 0.13, 0.11, 0.09, 0.09, 0.06, 0.06, 0.06, 0.08, 0.04, 0.04, 0.04])
_NAME_A = ["Blue", "North", "Silver", "Bright", "Red", "Iron", "Green", "Quantum", "Summit", "Harbor",
           "Pioneer", "Nova", "Atlas", "Vertex", "Cedar", "Falcon", "Granite", "Lumen", "Orbit", "Polar",
           "Rapid", "Sterling", "Terra", "Urban", "Vivid", "Willow", "Apex", "Beacon", "Crystal", "Delta"]
_NAME_B = ["rock", "wave", "peak", "bridge", "stone", "field", "gate", "path", "line", "works", "point",
           "light", "forge", "leaf", "star", "bay", "crest", "river", "spark", "scale"]
_NAME_C = ["Inc", "LLC", "Ltd", "GmbH", "Group", "Labs", "Systems", "Technologies", "Partners", "Holdings",
           "Solutions", "Health", "Logistics", "Capital", "Foods"]
_FIRST = ["Olivia", "Liam", "Emma", "Noah", "Ava", "Oliver", "Sophia", "Elijah", "Isabella", "James",
          "Mia", "William", "Amelia", "Benjamin", "Harper", "Lucas", "Evelyn", "Henry", "Abigail", "Alexander",
          "Emily", "Daniel", "Ella", "Matteo", "Chloe", "Leon", "Sofia", "Hugo", "Aisha", "Arjun", "Mei",
          "Kenji", "Priya", "Mateo", "Zoe", "Lars", "Ingrid", "Omar", "Fatima", "Diego", "Camille", "Jonas",
          "Hannah", "Ravi", "Yuki", "Chen", "Ana", "Tomas", "Nina", "Samuel"]
_LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
         "Martinez", "Hernandez", "Lopez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson",
         "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Clark", "Lewis", "Robinson", "Walker",
         "Young", "Allen", "Mueller", "Schmidt", "Dubois", "Rossi", "Novak", "Kowalski", "Jensen", "Nakamura",
         "Tanaka", "Patel", "Singh", "Kim", "Wang", "Silva", "Costa", "Okafor", "Haddad", "Berg", "Lund",
         "Fischer"]

# =============================================================================
# small helpers
# =============================================================================
def _day(value: str) -> int:
    return int(np.datetime64(value, "D").astype(np.int64))


def _month_start(days: np.ndarray) -> np.ndarray:
    return month_start_of_index(month_index(days))


def _quarter_index(days: np.ndarray) -> np.ndarray:
    return month_index(days) // 3


def _quarter_start(q: np.ndarray) -> np.ndarray:
    return month_start_of_index(np.asarray(q, dtype=np.int64) * 3)


def _year_of(day: int) -> int:
    return int(np.datetime64(int(day), "D").astype("datetime64[Y]").astype(np.int64)) + 1970


def _choice(rng: np.random.Generator, p: np.ndarray, n: int) -> np.ndarray:
    """n draws from one categorical distribution (p need not sum to one)."""
    cum = np.cumsum(p, dtype=np.float64)
    return np.searchsorted(cum / cum[-1], rng.random(n), side="right").astype(np.int64)


def _choice_rows(rng: np.random.Generator, p: np.ndarray) -> np.ndarray:
    """One draw per row of a probability matrix (rows sum to one)."""
    cum = np.cumsum(p, axis=1)
    u = rng.random(p.shape[0])[:, None]
    return np.minimum((u >= cum).sum(axis=1), p.shape[1] - 1).astype(np.int64)


def _group_first(group: np.ndarray, n_groups: int) -> np.ndarray:
    """Offsets of each group's first row in an array sorted by group."""
    counts = np.bincount(group, minlength=n_groups)
    return np.concatenate([[0], np.cumsum(counts)[:-1]]), counts


def _to_sec(us: np.ndarray) -> np.ndarray:
    return (np.asarray(us, dtype=np.int64) // SEC) * SEC


def _business_time(rng: np.random.Generator, days: np.ndarray) -> np.ndarray:
    """A timestamp (us) during working hours (08:00-20:00 UTC) on each day."""
    days = np.asarray(days, dtype=np.int64)
    return days * DAY + rng.integers(8 * 3600, 20 * 3600, len(days)) * SEC


# --- arrow builders -----------------------------------------------------------
#: Rows per Parquet row group (pyarrow's default, set explicitly): a table is converted to
#: Arrow and written this many rows at a time, which gives the same file as writing it whole.
ROW_GROUP_ROWS = 1024 * 1024

_DIGITS4 = (np.arange(10_000)[:, None] // np.array([1000, 100, 10, 1]) % 10 + 48).astype(np.uint8)


def _ids(prefix: str, nums: np.ndarray, width: int, valid: np.ndarray | None = None) -> pa.Array:
    """Fixed-width string ids ``prefix + zero-padded number``, built without Python loops."""
    nums = np.maximum(np.asarray(nums, dtype=np.int64), 0)
    n = len(nums)
    pre = np.frombuffer(prefix.encode(), dtype=np.uint8)
    length = len(pre) + width
    buf = np.empty((n, length), dtype=np.uint8)
    buf[:, : len(pre)] = pre
    pos = length
    rest = nums
    while pos > len(pre):  # fill 4 digits at a time from the right
        take = min(4, pos - len(pre))
        buf[:, pos - take: pos] = _DIGITS4[rest % 10_000][:, 4 - take:]
        rest = rest // 10_000
        pos -= take
    offsets = np.arange(n + 1, dtype=np.int64) * length
    arr = pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(buf)).cast(pa.string())
    if valid is not None and not valid.all():
        arr = pc.if_else(pa.array(valid), arr, pa.scalar(None, pa.string()))
    return arr


def _cat(values: list[str], codes: np.ndarray) -> pa.Array:
    """Strings from a small dictionary; code < 0 is null."""
    codes = np.asarray(codes, dtype=np.int64)
    mask = codes < 0
    idx = pa.array(np.where(mask, 0, codes).astype(np.int32), mask=mask)
    return pa.array(values, pa.string()).take(idx)


def _ts(us: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    us = np.asarray(us, dtype=np.int64)
    return pa.array(np.where(valid, us, 0) if valid is not None else us, pa.timestamp("us"),
                    mask=None if valid is None else ~valid)


def _date(days: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    days = np.asarray(days, dtype=np.int64)
    if valid is not None:
        days = np.where(valid, days, 0)
    return pa.array(days.astype(np.int32), pa.date32(), mask=None if valid is None else ~valid)


def _num(x: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    x = np.round(np.asarray(x, dtype=np.float64), 2)
    if valid is not None:
        x = np.where(valid, x, 0.0)
    return pa.array(x, pa.float64(), mask=None if valid is None else ~valid)


def _bool(x: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(x, dtype=bool), pa.bool_(), mask=None if valid is None else ~valid)


class _TableWriter:
    """Appends batches to ``<table>.<fmt>`` with the contract's column names, order and types."""

    def __init__(self, out_dir: Path, name: str, fmt: str):
        spec = TABLES[name]
        self.name = name
        self.columns = spec.column_names
        self.schema = pa.schema([pa.field(c.name, arrow_type(c.type)) for c in spec.columns])
        self.path = out_dir / f"{name}.{fmt}"
        self.rows = 0
        if fmt == "parquet":
            self._csv_schema = None
            self._writer = pq.ParquetWriter(self.path, self.schema, compression="zstd")
        else:
            self._csv_schema = pa.schema([
                pa.field(f.name, pa.timestamp("s") if pa.types.is_timestamp(f.type) else f.type)
                for f in self.schema
            ])
            self._writer = pacsv.CSVWriter(self.path, self._csv_schema)

    def write_rows(self, n: int, columns: Callable[[slice], dict[str, pa.Array]]) -> None:
        """Write n rows one row group at a time: ``columns(rows)`` builds the columns of a slice of rows."""
        for start in range(0, n, ROW_GROUP_ROWS):
            self.write(**columns(slice(start, min(n, start + ROW_GROUP_ROWS))))

    def write(self, **columns: pa.Array) -> None:
        if list(columns) != self.columns:
            raise AssertionError(f"{self.name}: columns {list(columns)} != contract {self.columns}")
        table = pa.Table.from_arrays(
            [pa.array(columns[f.name]).cast(f.type) if not isinstance(columns[f.name], pa.Array)
             else columns[f.name].cast(f.type) for f in self.schema],
            schema=self.schema,
        )
        if table.num_rows == 0:
            return
        if self._csv_schema is not None:
            table = table.cast(self._csv_schema)  # safe cast: timestamps are whole seconds
            self._writer.write_table(table)
        else:
            self._writer.write_table(table, row_group_size=ROW_GROUP_ROWS)
        self.rows += table.num_rows

    def close(self) -> int:
        self._writer.close()
        return self.rows


# =============================================================================
# exchange rates
# =============================================================================
class _Rates:
    """Business-day EUR and GBP rates to USD, an Ornstein-Uhlenbeck walk on the log rate."""

    def __init__(self, rng: np.random.Generator, first_day: int, last_day: int):
        days = np.arange(first_day, last_day + 1, dtype=np.int64)
        days = days[((days + 3) % 7) < 5]
        if days[0] != first_day:  # always have a rate on the very first day
            days = np.concatenate([[first_day], days])
        self.days = days
        n = len(days)
        self.values = {}
        for code, mu, sigma in ((1, 1.10, 0.0042), (2, 1.28, 0.0045)):
            eps = rng.normal(0.0, sigma, n)
            x = np.empty(n)
            x[0] = math.log(mu) + rng.normal(0, 0.03)
            theta = 0.004
            # OU recursion, vectorised as a discounted cumulative sum in blocks
            decay = 1.0 - theta
            lm = math.log(mu)
            for start in range(1, n, 512):
                stop = min(n, start + 512)
                k = np.arange(1, stop - start + 1)
                pw = decay ** k
                contrib = np.cumsum(eps[start:stop] / pw) * pw
                x[start:stop] = lm + (x[start - 1] - lm) * pw + contrib
            self.values[code] = np.round(np.exp(x), 6)

    def rate(self, currency: np.ndarray, days: np.ndarray) -> np.ndarray:
        """Latest rate on or before each day (1.0 for USD or null currency)."""
        currency = np.asarray(currency)
        days = np.asarray(days, dtype=np.int64)
        out = np.ones(len(days))
        pos = np.clip(np.searchsorted(self.days, days, side="right") - 1, 0, len(self.days) - 1)
        for code, vals in self.values.items():
            m = currency == code
            out[m] = vals[pos[m]]
        return out


# =============================================================================
# users
# =============================================================================
_TEAM_SPECS = [
    # name, role, segment, share of its base, min size, OTE range, mean tenure (years), hiring freeze
    ("Inbound SDR", "sdr", None, 0.70, 2, (80_000, 95_000), 1.7, True),
    ("Outbound SDR", "sdr", None, 0.30, 2, (85_000, 100_000), 1.6, True),
    ("SMB AE", "ae", "SMB", 0.31, 2, (140_000, 165_000), 2.5, False),
    ("Mid-Market AE", "ae", "Mid-Market", 0.34, 2, (180_000, 215_000), 2.8, False),
    ("Enterprise AE", "ae", "Enterprise", 0.35, 2, (225_000, 260_000), 3.2, False),
    ("Account Management", "am", None, 0.55, 2, (130_000, 150_000), 3.0, False),
]
T_IN_SDR, T_OUT_SDR, T_SMB, T_MM, T_ENT, T_AM = range(6)
_MANAGER_OTE = [150_000, 160_000, 230_000, 260_000, 300_000, 220_000]


class _Users:
    """Users as numpy arrays plus per-team staff pickers."""

    def __init__(self, rng: np.random.Generator, leads: int, S: int, E: int, freeze_day: int):
        years = (E - S + 1) / 365.25
        sdr_avg = leads / years / 2500.0
        ae_avg = sdr_avg / 1.4
        bases = [sdr_avg, sdr_avg, ae_avg, ae_avg, ae_avg, ae_avg]
        days = np.arange(S, E + 1, dtype=np.int64)
        gamma = math.log(1.4) / 365.25

        rows = []  # (team, seat, hired, left or -1)
        seat_count = []
        for t, (_n, _r, _s, share, min_size, _o, tenure, freeze) in enumerate(_TEAM_SPECS):
            eff = np.minimum(days, freeze_day) if freeze else days
            curve = np.exp(gamma * (eff - S))
            avg = bases[t] * share
            sizes = np.maximum(min_size, np.round(avg * curve / curve.mean())).astype(np.int64)
            sizes = np.maximum.accumulate(sizes)
            n_seats = int(sizes[-1])
            seat_count.append(n_seats)
            k = np.arange(n_seats)
            open_day = S + np.searchsorted(sizes, k, side="right")
            initial = k < sizes[0]  # seats filled before the CRM history starts
            hired = np.where(initial, S - rng.integers(30, 3 * 365, n_seats), open_day)
            seat = k
            mean_tenure = tenure * 365.25
            while len(seat):  # each pass: the next occupant of every seat that was vacated
                ref = np.maximum(hired, S)
                left = ref + np.maximum(90, rng.exponential(mean_tenure, len(seat))).astype(np.int64)
                rows.extend(zip([t] * len(seat), seat.tolist(), hired.tolist(),
                                np.where(left <= E, left, -1).tolist()))
                gone = left <= E
                gap = np.where(seat == 0, 0, rng.integers(14, 75, len(seat)))
                nxt = left + 1 + gap
                keep = gone & (nxt <= E)
                seat, hired = seat[keep], nxt[keep]

        rows.sort(key=lambda r: (r[2], r[0], r[1]))
        rep_team = np.array([r[0] for r in rows], dtype=np.int64)
        rep_seat = np.array([r[1] for r in rows], dtype=np.int64)
        rep_hired = np.array([r[2] for r in rows], dtype=np.int64)
        rep_left = np.array([r[3] for r in rows], dtype=np.int64)
        n_rep = len(rows)

        # the day each seat was first filled (managers join ~a month before their first seat)
        first_fill: dict[tuple[int, int], int] = {}
        for r in rows:
            key = (int(r[0]), int(r[1]))
            first_fill[key] = min(first_fill.get(key, int(r[2])), int(r[2]))

        # managers: a VP, one manager per ~8 seats of each team, two RevOps people
        team_names, roles, segs, regions, mgr, hired_l, left_l, ote, ramp = [], [], [], [], [], [], [], [], []

        def add(team, role, seg, region, manager, hired, ote_):
            team_names.append(team); roles.append(role); segs.append(seg); regions.append(region)
            mgr.append(manager); hired_l.append(int(hired)); left_l.append(-1); ote.append(float(ote_))
            ramp.append(-1)

        add("Sales Leadership", "manager", None, 0, -1, S - 1800 - int(rng.integers(0, 400)), 450_000)
        mgr_of_seat = []
        for t, spec in enumerate(_TEAM_SPECS):
            n_seats = seat_count[t]
            n_mgr = max(1, math.ceil(n_seats / 8))
            mgr_of_seat.append((len(team_names), n_mgr, n_seats))
            for m in range(n_mgr):
                k0 = math.ceil(m * n_seats / n_mgr)
                opened = first_fill.get((t, k0), S)
                hired = S - int(rng.integers(200, 2000)) if opened <= S else min(opened, E) - 30
                region = int(_choice(rng, np.array([0.7, 0.2, 0.1]), 1)[0])
                add(spec[0], "manager", spec[2], region, 0, hired, _MANAGER_OTE[t])
        for _ in range(2):
            add("Revenue Operations", "other", None, 0, 0, S - int(rng.integers(100, 1200)),
                int(rng.integers(120, 140)) * 1000)
        n_fixed = len(team_names)

        rep_mgr = np.array([mgr_of_seat[t][0] + min(mgr_of_seat[t][1] - 1, s * mgr_of_seat[t][1] // mgr_of_seat[t][2])
                            for t, s in zip(rep_team.tolist(), rep_seat.tolist())], dtype=np.int64)
        rep_region = _choice(rng, REGION_P, n_rep)
        ote_lo = np.array([s[5][0] for s in _TEAM_SPECS])[rep_team]
        ote_hi = np.array([s[5][1] for s in _TEAM_SPECS])[rep_team]
        rep_ote = np.round((ote_lo + rng.random(n_rep) * (ote_hi - ote_lo)) / 1000) * 1000
        rep_ramp = np.where(rng.random(n_rep) < 0.2, np.array([2, 3, 4, 6])[_choice(rng, np.ones(4), n_rep)], -1)
        rep_ramp = np.where((rep_team == T_ENT) & (rep_ramp > 0), 6, rep_ramp)

        self.n = n_fixed + n_rep
        self.team_name = team_names + [_TEAM_SPECS[t][0] for t in rep_team.tolist()]
        self.role = roles + [_TEAM_SPECS[t][1] for t in rep_team.tolist()]
        self.segment = segs + [_TEAM_SPECS[t][2] for t in rep_team.tolist()]
        self.region = np.concatenate([np.array(regions), rep_region])
        self.manager = np.concatenate([np.array(mgr), rep_mgr])
        self.hired = np.concatenate([np.array(hired_l, dtype=np.int64), rep_hired])
        left = np.concatenate([np.array(left_l, dtype=np.int64), rep_left])
        self.left_valid = left >= 0
        self.left = np.where(self.left_valid, left, FAR)
        self.ote = np.concatenate([np.array(ote), rep_ote])
        self.ramp_raw = np.concatenate([np.array(ramp), rep_ramp])
        self.ramp = np.where(self.ramp_raw > 0, self.ramp_raw, 3)
        self.skill = np.exp(rng.normal(0.0, 0.25, self.n))
        self.is_rep = np.concatenate([np.zeros(n_fixed, bool), np.ones(n_rep, bool)])
        self.rep_team = np.concatenate([np.full(n_fixed, -1), rep_team])
        self.ids = [f"U{i + 1:05d}" for i in range(self.n)]
        first = rng.integers(0, len(_FIRST), self.n)
        last = rng.integers(0, len(_LAST), self.n)
        self.full_name, self.email = [], []
        seen: dict[str, int] = {}
        for f, l in zip(first.tolist(), last.tolist()):
            name = f"{_FIRST[f]} {_LAST[l]}"
            base = f"{_FIRST[f]}.{_LAST[l]}".lower()
            seen[base] = seen.get(base, 0) + 1
            suffix = "" if seen[base] == 1 else str(seen[base])
            self.full_name.append(name)
            self.email.append(f"{base}{suffix}@salesco.example")
        self.S, self.E = S, E
        self._staff: dict[int, _Staff] = {}

    def staff(self, team: int) -> "_Staff":
        if team not in self._staff:
            self._staff[team] = _Staff(self, team, ramp_weighted=_TEAM_SPECS[team][1] != "sdr")
        return self._staff[team]

    def ramp_factor(self, users: np.ndarray, days: np.ndarray) -> np.ndarray:
        """0..1 progress through the ramp at ``days`` (1 = fully ramped)."""
        months = (np.asarray(days) - self.hired[users]) / 30.44
        return np.clip(months / self.ramp[users], 0.0, 1.0)

    def table(self) -> dict[str, pa.Array]:
        return dict(
            user_id=pa.array(self.ids, pa.string()),
            full_name=pa.array(self.full_name, pa.string()),
            email=pa.array(self.email, pa.string()),
            role=pa.array(self.role, pa.string()),
            team=pa.array(self.team_name, pa.string()),
            segment=pa.array(self.segment, pa.string()),
            region=_cat(REGIONS, self.region),
            manager_id=_cat(self.ids, self.manager),
            hired_on=_date(self.hired),
            left_on=_date(self.left, self.left_valid),
            annual_ote=_num(self.ote),
            ramp_months=pa.array(np.where(self.ramp_raw > 0, self.ramp_raw, 0).astype(np.int32), pa.int32(),
                                 mask=self.ramp_raw <= 0),
        )


class _Staff:
    """Picks a member of a team employed on a given day (AEs/AMs weighted by ramp).

    Per day, the cumulative weights of the members employed that day (weight >
    0), normalised to 1 and offset by the day's index, in one increasing
    array: a pick is one binary search. Members not employed on a day would
    only repeat the previous cumulative value (the search never stops on
    them), so they are left out; the days are weighed in blocks, so the full
    days x members matrix is never held (it is most of a 100M-lead run's
    memory otherwise).
    """

    _DAYS_PER_BLOCK = 32

    def __init__(self, users: _Users, team: int, ramp_weighted: bool):
        members = np.nonzero(users.rep_team == team)[0]
        self.S = users.S
        days = np.arange(users.S, users.E + 1, dtype=np.int64)
        self.n_days = len(days)
        hired, left, ramp = users.hired[members], users.left[members], users.ramp[members]
        self.weight = np.empty(self.n_days)
        grid, who = [], []
        for first in range(0, self.n_days, self._DAYS_PER_BLOCK):
            block = days[first: first + self._DAYS_PER_BLOCK]
            w = ((hired[None, :] <= block[:, None]) & (block[:, None] <= left[None, :])).astype(np.float64)
            if ramp_weighted:
                months = (block[:, None] - hired[None, :]) / 30.44
                w *= np.clip(0.25 + 0.75 * months / ramp[None, :], 0.25, 1.0)
            self.weight[first: first + len(block)] = w.sum(axis=1)
            cum = np.cumsum(w, axis=1)
            row, column = np.nonzero(w)
            grid.append(cum[row, column] / cum[row, -1] + (first + row))
            who.append(members[column])
        if (self.weight <= 0).any():
            raise AssertionError(f"team {_TEAM_SPECS[team][0]} has nobody employed on some day")
        self.grid = np.concatenate(grid)
        self.who = np.concatenate(who)
        # each day's entries lie in (day, day + 1]: the first is the first value above the day's index
        self.day_first = np.searchsorted(self.grid, np.arange(self.n_days), side="right")
        self.day_last = np.r_[self.day_first[1:], len(self.grid)] - 1

    def pick(self, rng: np.random.Generator, days: np.ndarray) -> np.ndarray:
        d = np.clip(np.asarray(days, dtype=np.int64) - self.S, 0, self.n_days - 1)
        # u < 1 - 1e-9 keeps d + u strictly inside day d's entries despite float rounding
        pos = np.searchsorted(self.grid, d + rng.random(len(d)) * (1 - 1e-9), side="right")
        return self.who[np.clip(pos, self.day_first[d], self.day_last[d])]


# =============================================================================
# opportunity stage paths
# =============================================================================
def _stage_paths(rng, created, close, start, top, won, back, reopen, E_END):
    """Stage history of opportunities, censored at E_END.

    Each deal enters ``start``..``top`` (skipping some intermediate stages),
    optionally steps back once, and closes (won or lost) at ``close``; reopened
    deals close lost, go back to ``top`` and close won. Returns the history rows
    (sorted by deal and time) and each deal's current stage and its entry time.
    """
    n = len(created)
    st = np.arange(N_OPEN)
    incl = (st >= start[:, None]) & (st <= top[:, None])
    skip = (rng.random((n, N_OPEN)) < 0.10) & (st > start[:, None]) & (st < top[:, None])
    span = np.maximum(top - start, 1)
    j = np.where(back, start + 1 + np.minimum((rng.random(n) * span).astype(np.int64), span - 1), -1)
    skip &= st != j[:, None]
    incl &= ~skip
    oi, si = np.nonzero(incl)
    b = np.nonzero(back)[0]
    r = np.nonzero(reopen)[0]
    allc = np.arange(n)
    opp = np.concatenate([oi, b, b, allc, r, r])
    key = np.concatenate([si * 10, j[b] * 10 + 3, j[b] * 10 + 6, np.full(n, 1000), np.full(len(r), 1100),
                          np.full(len(r), 1200)])
    stage = np.concatenate([si, j[b] - 1, j[b], np.where(won & ~reopen, WON, LOST), top[r], np.full(len(r), WON)])
    order = np.lexsort((key, opp))
    opp, stage = opp[order], stage[order]
    first, counts = _group_first(opp, n)
    rank = np.arange(len(opp)) - first[opp]
    u = rng.random(len(opp))
    u[rank == 0] = 0.0
    u[rank == counts[opp] - 1] = 1.0
    u = u[np.lexsort((u, opp))]
    t = created[opp] + (u * (close - created)[opp]).astype(np.int64)
    t = _to_sec(t) + rank * SEC  # strictly increasing within a deal
    keep = t <= E_END
    kept = np.bincount(opp[keep], minlength=n)
    last = first + kept - 1
    return dict(opp=opp[keep], stage=stage[keep], time=t[keep], current=stage[last], current_time=t[last],
                close_time=t[first + counts - 1])


# =============================================================================
# the generator
# =============================================================================
#: The opportunity columns read after the opportunities are written (customers, accounts,
#: activities, quotas, targets); the rest is let go.
_READ_AFTER_WRITING = ("num", "acct", "seg", "owner", "product", "type", "amount", "currency", "created",
                       "close_day", "end_time", "won_final", "deleted", "stage1_time")

def generate(out_dir: str | Path, seed: int = 42, leads: int = 10_000, fmt: str = "parquet",
             start_date: str = "2024-01-01", end_date: str = "2026-10-31",
             progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """Write every contract table as <table>.parquet (or .csv when fmt='csv') into out_dir; return {table: row_count}."""
    if fmt not in ("parquet", "csv"):
        raise ValueError(f"fmt must be 'parquet' or 'csv', not {fmt!r}")
    leads = int(leads)
    if leads < 1:
        raise ValueError("leads must be at least 1")
    S, E = _day(start_date), _day(end_date)
    if E - S < 180:
        raise ValueError("end_date must be at least 180 days after start_date")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    say = progress or (lambda _msg: None)
    # The close-date history draws from its own stream, so every other table is
    # the same with or without it.
    history_rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
    gen = _Generator(np.random.default_rng(seed), leads, S, E, out, fmt, say, history_rng)
    return gen.run()


class _Generator:
    def __init__(self, rng, leads, S, E, out, fmt, say, history_rng):
        self.rng, self.n_leads, self.S, self.E, self.out, self.fmt, self.say = rng, leads, S, E, out, fmt, say
        self.history_rng = history_rng
        self.E_END = (E + 1) * DAY - SEC
        self.D = E - S + 1
        self.days = np.arange(S, E + 1, dtype=np.int64)
        self.freeze_day = E - 270
        self.width = max(8, len(str(leads)) + 1)
        self.counts: dict[str, int] = {}
        launch = _month_start(np.array([S + int(0.6 * (E - S))]))[0]
        self.products = [
            ("P001", "Core Platform", "Platform", S - 6 * 365),
            ("P002", "Analytics Add-on", "Add-on", S - 3 * 365 - 200),
            ("P003", "Security Suite", "Add-on", S - 450),
            ("P004", "AI Assistant", "AI", int(launch)),
        ]
        self.CORE, self.ANALYTICS, self.SECURITY, self.AI = range(4)
        self.ai_launch = int(launch)
        self.fy_end = _day(f"{_year_of(E)}-12-31")

    def _writer(self, name):
        return _TableWriter(self.out, name, self.fmt)

    def _done(self, w: _TableWriter):
        self.counts[w.name] = w.close()
        self.say(f"{w.name}: {self.counts[w.name]:,} rows")

    # ------------------------------------------------------------------
    def run(self) -> dict[str, int]:
        rng = self.rng
        S, E = self.S, self.E
        self.users = _Users(rng, self.n_leads, S, E, self.freeze_day)
        self.rates = _Rates(rng, int(_month_start(np.array([S - 3 * 365 - 150]))[0]), E)
        for step, say in ((self._legacy_customers, "legacy customers"), (self._leads, "leads"),
                          (self._new_business, "new business"), (self._customers, "customers"),
                          (self._later_opportunities, "expansions and renewals"),
                          (self._subscriptions, "subscriptions"), (self._accounts, "accounts"),
                          (self._activities_on_opportunities, "activities"), (self._quotas, "quotas"),
                          (self._targets, "targets"), (self._small_tables, "the small tables")):
            self.say(f"generating {say}")
            step()
        return {name: self.counts[name] for name in GENERATED_TABLES}

    # ------------------------------------------------------------------
    def _legacy_customers(self):
        """Customers from before the CRM history starts (subscriptions only)."""
        rng, S = self.rng, self.S
        n = max(25, round(self.n_leads * 0.006))
        seg = _choice(rng, np.array([0.55, 0.30, 0.15]), n)
        region = _choice(rng, REGION_P, n)
        start = S - rng.integers(1, 3 * 365, n)
        currency = self._currency_for(region)
        product = np.where(rng.random(n) < 0.92, self.CORE, self.ANALYTICS)
        arr_usd = np.exp(rng.normal(np.log(_SEG_MEDIAN[seg]), _SEG_SIGMA[seg]))
        self.legacy = dict(
            acct=np.arange(n), seg=seg, region=region, currency=currency, product=product, start=start,
            arr=self._local_amount(arr_usd, currency, start),
            created=_business_time(rng, start - rng.integers(20, 150, n)),
        )
        self.n_accounts = n

    def _currency_for(self, region):
        rng = self.rng
        n = len(region)
        emea = region == 1
        cur = np.where(emea, np.where(rng.random(n) < 0.65, 1, 2), 0)
        return np.where((cur == 0) & (rng.random(n) < 0.01), -1, cur)

    def _local_amount(self, usd, currency, days):
        local = usd / self.rates.rate(currency, days)
        return np.maximum(500.0, np.round(local, -1))

    # ------------------------------------------------------------------
    def _lead_intensity(self):
        S, E, days = self.S, self.E, self.days
        dt = days.astype("datetime64[D]")
        month = dt.astype("datetime64[M]").astype(np.int64) % 12
        wd = (days + 3) % 7
        t_years = (days - S) / 365.25
        growth = np.exp(math.log(1.45) * t_years)
        season = _SEASON[month]
        q_next = _quarter_start(_quarter_index(days) + 1)
        qe = np.where(q_next - days <= 14, 1.12, 1.0)
        # conference spikes and the event campaign of each day
        kernel = np.zeros(len(days))
        self.event_names: list[str] = []
        event_code = np.full(len(days), -1)
        for year in range(_year_of(S) - 1, _year_of(E) + 1):
            for m, d, name in _EVENTS:
                e = _day(f"{year}-{m:02d}-{d:02d}")
                lag = days - e
                near = (lag >= 0) & (lag <= 14)
                if not near.any():
                    continue
                kernel[near] += np.exp(-lag[near] / 3.0)
                self.event_names.append(f"{name} {year}")
                event_code[near] = len(self.event_names) - 1  # events are chronological: latest wins
        kernel = kernel / kernel.mean() if kernel.mean() > 0 else np.ones(len(days))
        out_staff = self.users.staff(T_OUT_SDR)
        out_cap = out_staff.weight / out_staff.weight.mean() * growth.mean()
        blitz = np.clip((days - self.freeze_day) / max(1, E - self.freeze_day), 0, 1) ** 0.7
        sh = _STREAM_SHARE
        inten = np.stack([
            sh[0] * growth * season * qe * _WD_IN[wd],
            sh[1] * out_cap * _WD_OUT[wd],
            sh[2] * growth * season * qe * _WD_IN[wd],
            sh[3] * growth * (0.35 + 0.65 * kernel) * _WD_IN[wd],
            sh[4] * growth * season * _WD_IN[wd],
            sh[5] * growth * _WD_IN[wd],
            sh[3] * 3.2 * growth * blitz * _WD_BLITZ[wd],
        ], axis=1)
        p = (inten / inten.sum()).ravel()
        counts = self.rng.multinomial(self.n_leads, p).reshape(inten.shape)
        return counts, event_code

    def _campaign_tables(self):
        names: list[str] = []
        index: dict[str, int] = {}

        def code(name):
            if name not in index:
                index[name] = len(names)
                names.append(name)
            return index[name]

        stream_cum = {}
        for stream, (lst, probs) in _CAMPAIGNS.items():
            codes = np.array([code(x) for x in lst] + [-1])
            p = np.array(probs + [max(0.0, 1.0 - sum(probs))])
            stream_cum[stream] = (codes, np.cumsum(p) / p.sum())
        event_codes = np.array([code(x) for x in self.event_names] + [-1])
        blitz_codes = {y: code(f"Field Roadshow Blitz {y}") for y in range(_year_of(self.S), _year_of(self.E) + 1)}
        return names, stream_cum, event_codes, blitz_codes

    def _leads(self):
        rng, users, S, E_END = self.rng, self.users, self.S, self.E_END
        counts, event_code_day = self._lead_intensity()
        campaign_names, stream_cum, event_codes, blitz_codes = self._campaign_tables()
        in_staff, out_staff = users.staff(T_IN_SDR), users.staff(T_OUT_SDR)
        w_leads = self._writer("leads")
        self.w_activities = self._writer("activities")
        self.n_activities = 0
        months = month_index(self.days)
        bounds = np.concatenate([[0], np.nonzero(np.diff(months))[0] + 1, [self.D]])
        next_lead = 0
        conv_parts = []
        self.sql_per_day = np.zeros(self.D)
        opp_counter = 0
        for a, b in zip(bounds[:-1], bounds[1:]):
            c = counts[a:b]
            flat = c.ravel()
            n = int(flat.sum())
            if n == 0:
                continue
            day_rel = np.repeat(np.repeat(np.arange(a, b), N_STREAMS), flat)
            stream = np.repeat(np.tile(np.arange(N_STREAMS), b - a), flat)
            region = _choice(rng, REGION_P, n)
            tod = (rng.normal(_TOD_CENTER[region], 2.3 * 3600)).astype(np.int64) % 86_400
            created = (S + day_rel) * DAY + tod * SEC
            del tod  # (here and below: the month's arrays are let go once used; a month has up to ~6M leads at 100M)
            order = np.argsort(created, kind="stable")
            day_rel, stream, region, created = day_rel[order], stream[order], region[order], created[order]
            del order
            day = S + day_rel
            seg = _choice_rows(rng, _SEG_MIX[stream])

            # owner SDR (employed at created_at) and its effect on qualification
            owner = np.where(stream == OUTBOUND, out_staff.pick(rng, day), in_staff.pick(rng, day))
            owner = np.where(rng.random(n) < _P_NO_SDR[stream], -1, owner)
            has = owner >= 0
            own = np.where(has, owner, 0)
            sdr_factor = np.where(has, users.skill[own] * (0.5 + 0.5 * users.ramp_factor(own, day)), 1.0)
            p_sql = np.minimum(0.9, _P_SQL[stream] * sdr_factor * _SEG_SQL[seg])
            del own, sdr_factor
            is_sql = rng.random(n) < p_sql
            del p_sql
            outb = stream == OUTBOUND
            has_mql = ~outb & np.where(is_sql, rng.random(n) < 0.92, rng.random(n) < _P_MQL[stream])
            mql = created + np.where(rng.random(n) < 0.35, 0, rng.exponential(1.5 * DAY, n).astype(np.int64))
            base = np.where(has_mql, mql, created)
            sql_mean = np.where(outb, 12.0, 5.0) * DAY
            sql = base + (rng.gamma(2.0, 1.0, n) * sql_mean / 2.0).astype(np.int64) + 60 * SEC
            del sql_mean
            conv = is_sql & (rng.random(n) < 0.72)
            conv_at = sql + np.where(rng.random(n) < 0.45, rng.integers(0, 4 * HOUR, n),
                                     rng.exponential(1.5 * DAY, n).astype(np.int64)) + 60 * SEC
            dq_flag = np.where(is_sql, ~conv, rng.random(n) < 0.55)
            dq = np.where(is_sql, sql + rng.exponential(6 * DAY, n).astype(np.int64),
                          base + rng.exponential(21 * DAY, n).astype(np.int64)) + 60 * SEC
            del base
            mql, sql, conv_at, dq = _to_sec(mql), _to_sec(sql), _to_sec(conv_at), _to_sec(dq)
            mql_ok = has_mql & (mql <= E_END)
            sql_ok = is_sql & (sql <= E_END)
            conv_ok = conv & sql_ok & (conv_at <= E_END)
            dq_ok = dq_flag & (dq <= E_END)
            del has_mql, is_sql, conv, dq_flag

            # campaigns
            camp = np.full(n, -1)
            u = rng.random(n)
            for s_, (codes, cum) in stream_cum.items():
                m = stream == s_
                camp[m] = codes[np.searchsorted(cum, u[m], side="right").clip(0, len(codes) - 1)]
            ev = (stream == EVENT) & (event_code_day[day_rel] >= 0) & (rng.random(n) < 0.85)
            camp[ev] = event_codes[event_code_day[day_rel[ev]]]
            bl = stream == BLITZ
            if bl.any():
                yr = day[bl].astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
                camp[bl] = np.array([blitz_codes[int(y)] for y in np.unique(yr)])[np.searchsorted(np.unique(yr), yr)]
                camp[bl & (rng.random(n) < 0.08)] = -1
            del u, ev, bl, day_rel, day

            lead_num = next_lead + np.arange(n)
            next_lead += n
            acct_num = np.full(n, -1)
            opp_num = np.full(n, -1)
            ci = np.nonzero(conv_ok)[0]
            acct_num[ci] = self.n_accounts + np.arange(len(ci))
            opp_num[ci] = opp_counter + np.arange(len(ci))
            self.n_accounts += len(ci)
            opp_counter += len(ci)
            unlinked = conv_ok & (rng.random(n) < 0.005)
            second = conv_ok & (rng.random(n) < 0.005)
            deleted = ~conv_ok & (rng.random(n) < 0.005)
            del_valid = deleted | (rng.random(n) < 0.75)
            self.sql_per_day += np.bincount(((sql[sql_ok & ~deleted] // DAY) - S), minlength=self.D)[: self.D]

            linked = conv_ok & ~unlinked
            w_leads.write_rows(n, lambda r: dict(
                lead_id=_ids("L", lead_num[r] + 1, self.width),
                created_at=_ts(created[r]),
                lead_source=_cat(SOURCES, _STREAM_SOURCE[stream[r]]),
                campaign=_cat(campaign_names, camp[r]),
                owner_id=_cat(users.ids, owner[r]),
                mql_at=_ts(mql[r], mql_ok[r]),
                sql_at=_ts(sql[r], sql_ok[r]),
                disqualified_at=_ts(dq[r], dq_ok[r]),
                converted_at=_ts(conv_at[r], conv_ok[r]),
                converted_account_id=_ids("A", acct_num[r] + 1, self.width, conv_ok[r]),
                converted_opportunity_id=_ids("O", opp_num[r] + 1, self.width, linked[r]),
                is_deleted=_bool(deleted[r], del_valid[r]),
            ))
            del camp, mql, mql_ok, dq, dq_ok, unlinked, linked, del_valid, opp_num
            conv_parts.append(dict(
                lead=lead_num[ci], created=conv_at[ci], seg=seg[ci], region=region[ci], stream=stream[ci],
                sdr=owner[ci], acct=acct_num[ci], second=second[ci], lead_created=created[ci],
            ))

            # SDR activities: 1-3 touches on SQL leads, one cold touch on some outbound leads
            act_lead = np.concatenate([np.repeat(np.nonzero(sql_ok & has)[0], 1 + rng.binomial(2, 0.45, int((sql_ok & has).sum()))),
                                       np.nonzero(outb & ~sql_ok & has & (rng.random(n) < 0.3))[0]])
            act_lead.sort(kind="stable")
            if len(act_lead):
                usr = owner[act_lead]
                lo = created[act_lead]
                hi = np.where(sql_ok[act_lead], sql[act_lead], created[act_lead] + 5 * DAY)
                hi = np.minimum.reduce([hi, np.full(len(hi), E_END), (users.left[usr] + 1) * DAY - SEC])
                t = _to_sec(lo + (rng.random(len(lo)) * np.maximum(hi - lo, 0)).astype(np.int64))
                t = np.maximum(t, lo)
                kind = _choice(rng, np.array([0.45, 0.45, 0.10]), len(t))
                self._write_activities(usr, lead_num[act_lead], None, kind, t)
            # Every month: the command line shows it at its own rate (live, or a line every 15 s when piped).
            self.say(f"leads: {next_lead:,} of about {self.n_leads:,}")
        self._done(w_leads)
        self.conv = {k: np.concatenate([p[k] for p in conv_parts]) for k in conv_parts[0]}
        self.n_nb_primary = opp_counter

    def _write_activities(self, user, lead, opp, kind, t):
        n = len(user)
        num = self.n_activities + np.arange(n) + 1
        self.n_activities += n
        self.w_activities.write_rows(n, lambda r: dict(
            activity_id=_ids("ACT", num[r], self.width + 1),
            user_id=_cat(self.users.ids, user[r]),
            lead_id=_ids("L", lead[r] + 1, self.width) if lead is not None else pa.nulls(len(num[r]), pa.string()),
            opportunity_id=_ids("O", opp[r] + 1, self.width) if opp is not None else pa.nulls(len(num[r]), pa.string()),
            activity_type=_cat(["call", "email", "meeting"], kind[r]),
            occurred_at=_ts(t[r]),
        ))

    # ------------------------------------------------------------------
    def _pick_owner(self, staff_team, days):
        owner = np.empty(len(days), dtype=np.int64)
        for team in np.unique(staff_team):
            m = staff_team == team
            owner[m] = self.users.staff(int(team)).pick(self.rng, days[m])
        return owner

    def _finish_opportunities(self, o):
        """Run stage paths, reassign owners who left, fill derived columns. ``o`` is a dict of arrays."""
        rng, users, E, E_END = self.rng, self.users, self.E, self.E_END
        n = len(o["created"])
        paths = _stage_paths(rng, o["created"], o["close"], o["start"], o["top"], o["won"], o["back"],
                             o["reopen"], E_END)
        cur = paths["current"]
        closed = cur >= WON
        close_day = paths["close_time"] // DAY
        created_day = o["created"] // DAY
        # expected close of open deals: planned, sometimes slipped a little into the past
        slipped = ~closed & (rng.random(n) < 0.10)
        exp_close = np.where(slipped, np.maximum(created_day, E - rng.integers(1, 21, n)), close_day)
        exp_close = np.maximum(exp_close, np.where(slipped, created_day, E + 1))
        o["closed"], o["stage"] = closed, cur
        o["close_day"] = np.where(closed, paths["current_time"] // DAY, exp_close)
        end_day = np.where(closed, o["close_day"], E)
        # the current owner must be employed at the deal's last moment
        for _ in range(8):
            gone = users.left[o["owner"]] < end_day
            if not gone.any():
                break
            day = users.left[o["owner"][gone]] + 1
            o["owner"][gone] = self._pick_owner(o["staff"][gone], day)
        last_t = paths["current_time"]
        upd = last_t + (rng.random(n) * np.where(closed, 2 * DAY, np.maximum(E_END - last_t, 0))).astype(np.int64)
        o["updated"] = np.minimum(_to_sec(upd), E_END)
        o["won_final"] = closed & (cur == WON)
        o["end_time"] = np.where(closed, paths["current_time"], E_END)
        # amounts: ~2% null overall, never on won deals
        o["amount_valid"] = ~(~o["won_final"] & (rng.random(n) < 0.028))
        # ~0.5% deleted, only among deals that did not win
        o["deleted"] = ~o["won_final"] & (rng.random(n) < 0.007)
        o["deleted_valid"] = o["deleted"] | (rng.random(n) < 0.8)
        # stage-1 reach (for stage1_opportunities targets): first stage >= 1 that is not lost
        h_opp, h_stage, h_time = paths["opp"], paths["stage"], paths["time"]
        reach = (h_stage >= 1) & (h_stage <= WON)
        ro, ri = np.unique(h_opp[reach], return_index=True)
        o["stage1_time"] = np.full(n, -1, dtype=np.int64)
        o["stage1_time"][ro] = h_time[reach][ri]
        # history: ~3% of deals have none; ~35% record amounts
        no_hist = rng.random(n) < 0.03
        keep = ~no_hist[h_opp]
        h_opp, h_stage, h_time = h_opp[keep], h_stage[keep], h_time[keep]
        rec = (rng.random(n) < 0.35) & o["amount_valid"]
        last_row = np.r_[h_opp[1:] != h_opp[:-1], True]
        drift = np.where(last_row | (h_stage >= WON), 1.0, rng.uniform(0.8, 1.2, len(h_opp)))
        h_amount = np.round(o["amount"][h_opp] * drift, -1)
        o["history"] = dict(opp=h_opp, stage=h_stage, time=h_time, amount=h_amount, amount_valid=rec[h_opp])
        return o

    def _write_opportunities(self, o):
        """Write a batch of opportunities and their stage history; return what later steps read of it."""
        num = o["num"]
        self.w_opps.write_rows(len(num), lambda r: dict(
            opportunity_id=_ids("O", num[r] + 1, self.width),
            account_id=_ids("A", o["acct"][r] + 1, self.width),
            owner_id=_cat(self.users.ids, o["owner"][r]),
            sourced_by_id=_cat(self.users.ids, o["sourced_by"][r]),
            lead_id=_ids("L", o["lead"][r] + 1, self.width, o["lead"][r] >= 0),
            product_id=_cat([p[0] for p in self.products], o["product"][r]),
            opportunity_type=_cat(["new_business", "expansion", "renewal"], o["type"][r]),
            stage_name=_cat(STAGE_NAMES, o["stage"][r]),
            amount=_num(o["amount"][r], o["amount_valid"][r]),
            currency=_cat(CURRENCIES, o["currency"][r]),
            created_at=_ts(o["created"][r]),
            close_date=_date(o["close_day"][r]),
            updated_at=_ts(o["updated"][r]),
            is_deleted=_bool(o["deleted"][r], o["deleted_valid"][r]),
        ))
        h = o["history"]
        self.w_hist.write_rows(len(h["opp"]), lambda r: dict(
            opportunity_id=_ids("O", num[h["opp"][r]] + 1, self.width),
            stage_name=_cat(STAGE_NAMES, h["stage"][r]),
            entered_at=_ts(h["time"][r]),
            amount=_num(h["amount"][r], h["amount_valid"][r]),
        ))
        c = self._close_date_history(o)
        self.w_ohist.write_rows(len(c["opp"]), lambda r: dict(
            opportunity_id=_ids("O", num[c["opp"][r]] + 1, self.width),
            changed_at=_ts(c["time"][r]),
            close_date=_date(c["close_day"][r]),
            amount=_num(c["amount"][r], o["amount_valid"][c["opp"][r]]),
            forecast_category=pa.nulls(len(c["opp"][r]), pa.string()),
        ))
        return {key: o[key] for key in _READ_AFTER_WRITING}

    def _close_date_history(self, o):
        """What each deal's expected close date and amount were, change by change (opportunity_history).

        A row at creation, then up to three changes, spread over the deal's open
        life (up to its close, or for an open deal up to the day its current
        expected close date begins): mostly pushes (the expected date moved
        later, made close to the old date, sometimes after it had passed),
        some pull-ins, some amount-only revisions; a close-date change revises
        the amount a quarter of the time. Built backwards from the deal's
        current close date and amount, so the last row agrees with the
        opportunity. Every row carries the full state after the change.
        """
        rng, E_END = self.history_rng, self.E_END
        n, K = len(o["created"]), 3
        created = o["created"]
        created_day = created // DAY
        final_day = o["close_day"]
        last_t = np.where(o["closed"], o["end_time"], np.minimum(E_END, final_day * DAY))
        life = last_t - created
        k = np.where(life > 2 * DAY, _choice(rng, np.array([0.45, 0.30, 0.15, 0.10]), n), 0)
        j = np.arange(K)[None, :]
        valid = j < k[:, None]
        # change j in the j-th slice of the open life, strictly after creation and in order
        frac = (j + rng.random((n, K))) / np.maximum(k, 1)[:, None]
        t = _to_sec(created[:, None] + (frac * np.maximum(life, 0)[:, None]).astype(np.int64))
        t = np.maximum(t, _to_sec(created)[:, None] + (j + 1) * SEC)
        kind = _choice(rng, np.array([0.65, 0.15, 0.20]), n * K).reshape(n, K)  # push, pull-in, amount only
        revise = (kind == 2) | (rng.random((n, K)) < 0.25)
        near = t // DAY + rng.integers(-10, 21, (n, K))
        earlier = np.maximum(1, rng.integers(7, 31, (n, K)))
        later = rng.integers(10, 51, (n, K))
        drift = rng.uniform(0.8, 1.25, (n, K))
        close_after = np.empty((n, K), dtype=np.int64)
        amount_after = np.empty((n, K))
        day, amount = final_day.astype(np.int64).copy(), np.asarray(o["amount"], dtype=np.float64).copy()
        for col in range(K - 1, -1, -1):
            close_after[:, col], amount_after[:, col] = day, amount
            pushed = np.where(near[:, col] < day, near[:, col], day - earlier[:, col])
            before = np.where(kind[:, col] == 0, pushed, np.where(kind[:, col] == 1, day + later[:, col], day))
            before = np.maximum(before, created_day)
            m = valid[:, col]
            day = np.where(m, before, day)
            amount = np.where(m & revise[:, col], np.maximum(10.0, np.round(amount / drift[:, col], -1)), amount)
        opp = np.concatenate([np.arange(n), np.repeat(np.arange(n), K)[valid.ravel()]])
        time = np.concatenate([created, t[valid]])
        close_day = np.concatenate([day, close_after[valid]])
        amounts = np.concatenate([amount, amount_after[valid]])
        order = np.lexsort((time, opp))
        opp, time, close_day, amounts = opp[order], time[order], close_day[order], amounts[order]
        # a change that changed nothing (a push clamped at creation) is not saved
        same = np.r_[False, (opp[1:] == opp[:-1]) & (close_day[1:] == close_day[:-1]) & (amounts[1:] == amounts[:-1])]
        keep = ~same
        return dict(opp=opp[keep], time=time[keep], close_day=close_day[keep], amount=amounts[keep])

    def _new_business(self):
        """New-business opportunities from converted leads (plus a few second deals per lead)."""
        rng, users, E_END = self.rng, self.users, self.E_END
        c = self.conv
        sec = np.nonzero(c["second"])[0]
        sec_created = _to_sec(c["created"][sec] + rng.integers(60, 240, len(sec)) * DAY)
        sec = sec[sec_created <= E_END]
        sec_created = sec_created[sec_created <= E_END]
        idx = np.concatenate([np.arange(len(c["lead"])), sec])
        n = len(idx)
        created = np.concatenate([c["created"], sec_created])
        day = created // DAY
        seg = c["seg"][idx]
        stream = c["stream"][idx]
        region = c["region"][idx]
        staff = np.array([T_SMB, T_MM, T_ENT])[seg]
        owner = self._pick_owner(staff, day)
        sourced = np.where(rng.random(n) < 0.04, -1, c["sdr"][idx])
        # product: mostly the core platform; the AI Assistant is bundled more and more after launch
        post = np.clip((day - self.ai_launch) / 180.0, 0, 1) * (day >= self.ai_launch)
        u = rng.random(n)
        p_ai = 0.03 + 0.09 * post
        product = np.where(u < 0.01, -1, np.where(u < 0.05, self.ANALYTICS,
                           np.where((u < 0.05 + p_ai) & (day >= self.ai_launch), self.AI, self.CORE)))
        factor = np.where(product == self.AI, 0.45, np.where(product == self.ANALYTICS, 0.35, 1.0))
        usd = np.exp(rng.normal(np.log(_SEG_MEDIAN[seg]), _SEG_SIGMA[seg])) * factor
        currency = self._currency_for(region)
        amount = self._local_amount(usd, currency, day)
        skill = users.skill[owner] * (0.7 + 0.3 * users.ramp_factor(owner, day))
        p_win = np.clip(_P_WIN[stream] * _SEG_WIN[seg] * skill, 0.02, 0.85)
        won = rng.random(n) < p_win
        cycle = rng.gamma(2.2, 1.0, n) / 2.2 * _SEG_CYCLE[seg] * np.where(won, 1.0, 0.75) + 0.2
        close_day = (created + (cycle * DAY).astype(np.int64)) // DAY
        close_day = self._quarter_end_push(close_day, day, won)
        close = np.maximum(_business_time(rng, close_day), created + HOUR)
        start = np.where(rng.random(n) < 0.55, 0, 1)
        lost_top = _choice(rng, 0.75 ** np.arange(N_OPEN), n)
        top = np.where(won, np.where(rng.random(n) < 0.8, _TOP, _TOP - 1), np.maximum(start, lost_top))
        back = ((top - start) >= 2) & (rng.random(n) < 0.05)
        reopen = won & (top >= 3) & (rng.random(n) < 0.012)
        o = dict(
            num=np.concatenate([np.arange(len(c["lead"])), self.n_nb_primary + np.arange(len(sec))]),
            acct=c["acct"][idx], owner=owner, staff=staff, sourced_by=sourced, lead=c["lead"][idx],
            product=product, type=np.zeros(n, dtype=np.int64), amount=amount, currency=currency,
            created=created, close=close, start=start, top=top, won=won, back=back, reopen=reopen, seg=seg,
        )
        self._finish_opportunities(o)
        self.w_opps = self._writer("opportunities")
        self.w_hist = self._writer("opportunity_stage_history")
        self.w_ohist = self._writer("opportunity_history")
        self.nb = self._write_opportunities(o)
        self.conv = {key: c[key] for key in ("acct", "seg", "region", "created")}  # what the accounts read
        self.n_opps = self.n_nb_primary + len(sec)
        self.say(f"new-business opportunities: {n:,}")

    def _quarter_end_push(self, close_day, created_day, won):
        """Sales push deals that would close early next quarter into the last days of this one."""
        rng = self.rng
        q0 = _quarter_start(_quarter_index(close_day))
        pulled = q0 - 1 - rng.integers(0, 6, len(close_day))
        move = won & (close_day - q0 < 21) & (rng.random(len(close_day)) < 0.35) & (pulled >= created_day)
        return np.where(move, pulled, close_day)

    # ------------------------------------------------------------------
    def _customers(self):
        """Contracts: legacy customers and won new business (closed by end_date)."""
        nb, lg = self.nb, self.legacy
        w = np.nonzero(nb["won_final"])[0]
        self.contracts = dict(
            acct=np.concatenate([lg["acct"], nb["acct"][w]]),
            seg=np.concatenate([lg["seg"], nb["seg"][w]]),
            currency=np.concatenate([lg["currency"], nb["currency"][w]]),
            product=np.concatenate([lg["product"], np.where(nb["product"][w] < 0, self.CORE, nb["product"][w])]),
            start=np.concatenate([lg["start"], nb["close_day"][w]]),
            arr=np.concatenate([lg["arr"], nb["amount"][w]]),
            sub_product=np.concatenate([lg["product"], nb["product"][w]]),
        )

    def _later_opportunities(self):
        """Subscription lifecycles, and the renewal, expansion and win-back deals they imply."""
        rng, S, E, E_END = self.rng, self.S, self.E, self.E_END
        c = self.contracts
        n = len(c["acct"])
        annual = rng.random(n) < 0.6
        subs = []  # dicts of arrays: acct, product, start, end (FAR = null), arr, currency
        K = int((E - c["start"].min()) // 365) + 2
        k = np.arange(1, K + 1)
        ann = add_months(c["start"][:, None], 12 * k[None, :])  # anniversaries (n, K)
        u = rng.random((n, K))
        churn_p = _SEG_ANNUAL_CHURN[c["seg"]][:, None]
        churn = u < churn_p
        down = ~churn & (u < churn_p + 0.07)
        up = ~churn & ~down & (u < churn_p + 0.22)
        factor = np.where(down, rng.uniform(0.6, 0.9, (n, K)), np.where(up, rng.uniform(1.03, 1.15, (n, K)), 1.0))
        first_churn = np.where(churn.any(axis=1), churn.argmax(axis=1), K)
        del u, churn, down, up  # contracts x years matrices: let go once used
        arr_term = c["arr"][:, None] * np.cumprod(np.concatenate([np.ones((n, 1)), factor[:, :-1]], axis=1), axis=1)
        del factor
        arr_term = np.maximum(500.0, np.round(arr_term, -1))
        term_start = np.concatenate([c["start"][:, None], ann[:, :-1]], axis=1)
        t_idx = np.arange(K)[None, :]
        exists = annual[:, None] & (t_idx <= first_churn[:, None]) & (term_start <= E)
        overlap = (t_idx >= 1) & (rng.random((n, K)) < 0.01)
        term_start = np.where(overlap, term_start - rng.integers(1, 6, (n, K)), term_start)
        ti, tk = np.nonzero(exists)
        end = ann[ti, tk]
        subs.append(dict(contract=ti, start=term_start[ti, tk], end=np.where(end <= E, end, FAR),
                         arr=arr_term[ti, tk]))
        del exists, overlap, term_start
        fc = np.minimum(first_churn, K - 1)
        contract_end = np.where(annual & (first_churn < K), ann[np.arange(n), fc], FAR)
        contract_end = np.where(contract_end <= E, contract_end, FAR)
        last_arr = arr_term[np.arange(n), fc]

        # evergreen contracts: churn hazard, a few mid-life contractions, some ends on the 1st
        ev = np.nonzero(~annual)[0]
        life = np.maximum(30, rng.exponential(_SEG_EVERGREEN_LIFE[c["seg"][ev]])).astype(np.int64)
        ev_end = c["start"][ev] + life
        on_first = rng.random(len(ev)) < 0.12
        ev_end = np.where(on_first, _month_start(ev_end) + 0, ev_end)
        ev_end = np.where(ev_end <= c["start"][ev], c["start"][ev] + 30, ev_end)
        ev_end = np.where(ev_end <= E, ev_end, FAR)
        contract_end[ev] = ev_end
        last_arr[ev] = c["arr"][ev]
        horizon = np.minimum(ev_end, E)
        split = c["start"][ev] + 60 + (rng.random(len(ev)) * (horizon - c["start"][ev] - 60)).astype(np.int64)
        contract_ = (rng.random(len(ev)) < 0.06) & (split < horizon) & (split > c["start"][ev])
        lower = np.maximum(500.0, np.round(c["arr"][ev] * rng.uniform(0.6, 0.9, len(ev)), -1))
        subs.append(dict(contract=ev, start=c["start"][ev], end=np.where(contract_, split, ev_end), arr=c["arr"][ev]))
        cc = np.nonzero(contract_)[0]
        subs.append(dict(contract=ev[cc], start=split[cc], end=ev_end[cc], arr=lower[cc]))
        last_arr[ev[cc]] = lower[cc]

        # renewal deals (AM-owned) for every anniversary up to the churn, created before end_date
        ri, ra = np.nonzero(annual[:, None] & (t_idx <= first_churn[:, None]))
        ann_r = ann[ri, ra]
        r_created_day = ann_r - rng.integers(50, 100, len(ri))
        ok = (r_created_day >= S) & (r_created_day <= E)
        ri, ra, ann_r, r_created_day = ri[ok], ra[ok], ann_r[ok], r_created_day[ok]
        r_won = ra < first_churn[ri]
        r_amount = np.where(r_won, arr_term[ri, np.minimum(ra + 1, K - 1)], arr_term[ri, ra])
        r_close_day = np.maximum(ann_r - rng.integers(0, 12, len(ri)), r_created_day + 1)

        # win-backs: some churned customers come back (a won new-business deal, new evergreen contract)
        churned = np.nonzero((contract_end <= E - 60) & (rng.random(n) < 0.15))[0]
        wb_day = contract_end[churned] + rng.integers(60, 420, len(churned))
        wb_created = wb_day - (rng.gamma(2.0, 1.0, len(churned)) * 15).astype(np.int64) - 1
        ok = (wb_day <= E) & (wb_created >= S)
        churned, wb_day, wb_created = churned[ok], wb_day[ok], wb_created[ok]
        wb_arr = np.maximum(500.0, np.round(last_arr[churned] * rng.uniform(0.6, 1.0, len(churned)), -1))
        wb_life = np.maximum(30, rng.exponential(_SEG_EVERGREEN_LIFE[c["seg"][churned]])).astype(np.int64)
        wb_end = np.where(wb_day + wb_life <= E, wb_day + wb_life, FAR)
        n_wb = len(churned)
        # new contracts for the win-backs are appended to the contract arrays
        wb_contract = n + np.arange(n_wb)
        for key in ("acct", "seg", "currency"):
            c[key] = np.concatenate([c[key], c[key][churned]])
        c["product"] = np.concatenate([c["product"], np.full(n_wb, self.CORE)])
        c["sub_product"] = np.concatenate([c["sub_product"], np.full(n_wb, self.CORE)])
        c["start"] = np.concatenate([c["start"], wb_day])
        c["arr"] = np.concatenate([c["arr"], wb_arr])
        contract_end = np.concatenate([contract_end, wb_end])
        subs.append(dict(contract=wb_contract, start=wb_day, end=wb_end, arr=wb_arr))
        n_all = n + n_wb

        # expansions: add-ons and upsells on active contracts (AI Assistant cross-sell after launch)
        win_lo = np.maximum(c["start"] + 45, S)
        win_hi = np.minimum(contract_end, E)
        years = np.maximum(0, win_hi - win_lo) / 365.25
        post_years = np.maximum(0, win_hi - np.maximum(win_lo, self.ai_launch)) / 365.25
        lam = _SEG_EXPANSION_RATE[c["seg"]] * years + 0.35 * post_years
        n_exp = rng.poisson(lam)
        xi = np.repeat(np.arange(n_all), n_exp)
        x_day = win_lo[xi] + (rng.random(len(xi)) * np.maximum(win_hi[xi] - win_lo[xi], 0)).astype(np.int64)
        after = x_day >= self.ai_launch
        u = rng.random(len(xi))
        x_prod = np.where(after, np.where(u < 0.5, self.AI, np.where(u < 0.75, self.ANALYTICS,
                                          np.where(u < 0.87, self.SECURITY, self.CORE))),
                          np.where(u < 0.55, self.ANALYTICS, np.where(u < 0.80, self.SECURITY, self.CORE)))
        x_frac = np.exp(rng.normal(np.log(np.where(x_prod == self.AI, 0.30, 0.22)), 0.5))
        x_amount = np.maximum(500.0, np.round(c["arr"][xi] * x_frac, -1))
        x_won = rng.random(len(xi)) < np.where(x_prod == self.AI, 0.60, np.where(c["seg"][xi] == 2, 0.48, 0.55))
        x_cycle = rng.gamma(2.0, 1.0, len(xi)) / 2.0 * np.where(c["seg"][xi] == 2, 60.0, 35.0) + 1
        x_close_day = x_day + x_cycle.astype(np.int64) + 1
        x_won &= x_close_day < contract_end[xi]
        # won add-ons become subscriptions until the contract ends (a few are cancelled earlier)
        xs = np.nonzero(x_won & (x_close_day <= E))[0]
        addon_end = contract_end[xi[xs]]
        cancel = x_close_day[xs] + rng.integers(90, 600, len(xs))
        early = (rng.random(len(xs)) < 0.07) & (cancel < addon_end) & (cancel <= E)
        addon_end = np.where(early, cancel, addon_end)
        subs.append(dict(contract=xi[xs], start=x_close_day[xs], end=addon_end, arr=x_amount[xs],
                         product=x_prod[xs]))

        # --- all later opportunities: win-backs, renewals, expansions --------------------
        def cat(*parts):
            return np.concatenate([np.asarray(p) for p in parts])

        n_r, n_x = len(ri), len(xi)
        contract = cat(churned, ri, xi)
        typ = cat(np.zeros(n_wb, np.int64), np.full(n_r, 2), np.ones(n_x, np.int64))
        created_day = cat(wb_created, r_created_day, x_day)
        close_day = cat(wb_day, r_close_day, x_close_day)
        won = cat(np.ones(n_wb, bool), r_won, x_won)
        m = len(contract)
        seg = c["seg"][contract]
        created = _business_time(rng, created_day)
        close = np.maximum(_business_time(rng, close_day), created + HOUR)
        staff = np.where(typ == 0, np.array([T_SMB, T_MM, T_ENT])[seg],
                         np.where((typ == 1) & (rng.random(m) < 0.3), np.array([T_SMB, T_MM, T_ENT])[seg], T_AM))
        owner = self._pick_owner(staff, created_day)
        start = np.where(typ == 0, 1, np.where(rng.random(m) < 0.5, 1, 2))
        lost_top = _choice(rng, 0.7 ** np.arange(N_OPEN), m)
        top = np.where(won, np.where(rng.random(m) < 0.75, _TOP, _TOP - 1), np.maximum(start, lost_top))
        back = ((top - start) >= 2) & (rng.random(m) < 0.03)
        reopen = won & (typ == 1) & (top >= 3) & (rng.random(m) < 0.005)
        product = cat(np.full(n_wb, self.CORE), c["sub_product"][ri], x_prod)
        amount = cat(wb_arr, r_amount, x_amount)
        o = dict(
            num=self.n_opps + np.arange(m), acct=c["acct"][contract], owner=owner, staff=staff,
            sourced_by=np.full(m, -1), lead=np.full(m, -1), product=product, type=typ, amount=amount,
            currency=c["currency"][contract], created=created, close=close, start=start, top=top, won=won,
            back=back, reopen=reopen, seg=seg,
        )
        self._finish_opportunities(o)
        o = self._write_opportunities(o)
        self.n_opps += m
        self._done(self.w_opps)
        self._done(self.w_hist)
        self._done(self.w_ohist)
        self.later = o

        # subscription rows
        parts = []
        for s in subs:
            ci = s["contract"]
            parts.append(dict(
                acct=c["acct"][ci], product=s.get("product", c["sub_product"][ci]), start=s["start"],
                end=s["end"], arr=s["arr"], currency=c["currency"][ci], seg=c["seg"][ci],
            ))
        sub = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
        keep = sub["start"] <= E
        sub = {k: v[keep] for k, v in sub.items()}
        keep = sub["end"] > sub["start"]
        sub = {k: v[keep] for k, v in sub.items()}
        order = np.lexsort((sub["product"], sub["acct"], sub["start"]))
        self.subs = {k: v[order] for k, v in sub.items()}

    # ------------------------------------------------------------------
    def _subscriptions(self):
        s = self.subs
        w = self._writer("subscriptions")
        n = len(s["acct"])
        w.write_rows(n, lambda r: dict(
            subscription_id=_ids("S", np.arange(r.start, r.stop) + 1, self.width),
            account_id=_ids("A", s["acct"][r] + 1, self.width),
            product_id=_cat([p[0] for p in self.products], s["product"][r]),
            starts_on=_date(s["start"][r]),
            ends_on=_date(s["end"][r], s["end"][r] < FAR),
            arr=_num(s["arr"][r]),
            currency=_cat(CURRENCIES, s["currency"][r]),
        ))
        self._done(w)

    def _accounts(self):
        rng, users, E = self.rng, self.users, self.E
        lg, cv = self.legacy, self.conv
        n_leg = len(lg["acct"])
        if not np.array_equal(cv["acct"], n_leg + np.arange(len(cv["acct"]))):
            raise AssertionError("converted accounts are not numbered consecutively")
        n_pro = max(3, round(0.25 * self.n_accounts))
        pro_day = self.S - 365 + rng.integers(0, E - self.S + 366, n_pro)
        seg = np.concatenate([lg["seg"], cv["seg"], _choice(rng, np.array([0.5, 0.33, 0.17]), n_pro)])
        region = np.concatenate([lg["region"], cv["region"], _choice(rng, REGION_P, n_pro)])
        created = np.concatenate([lg["created"], cv["created"], _business_time(rng, pro_day)])
        n = len(seg)
        # owner (a snapshot as of end_date): the owner of the account's latest opportunity if still
        # employed, else an Account Manager for customers and an AE of the segment for the others;
        # prospects without opportunities are owned by an AE about half of the time.
        owner = np.full(n, -1)
        all_acct = np.concatenate([self.nb["acct"], self.later["acct"]])
        all_created = np.concatenate([self.nb["created"], self.later["created"]])
        all_owner = np.concatenate([self.nb["owner"], self.later["owner"]])
        order = np.lexsort((all_created, all_acct))
        a_sorted = all_acct[order]
        last = np.r_[a_sorted[1:] != a_sorted[:-1], True]
        owner[a_sorted[last]] = all_owner[order][last]
        customer = np.zeros(n, bool)
        customer[self.contracts["acct"]] = True
        prospect = np.arange(n) >= n - n_pro
        ae_team = np.array([T_SMB, T_MM, T_ENT])[seg]
        left_owner = (owner >= 0) & (users.left[np.maximum(owner, 0)] < E)
        need = left_owner | ((owner < 0) & customer) | ((owner < 0) & prospect & (rng.random(n) < 0.55))
        staff = np.where(customer, T_AM, ae_team)
        owner[need] = self._pick_owner(staff[need], np.full(int(need.sum()), E))
        industry = np.where(rng.random(n) < 0.03, -1, _choice(rng, _INDUSTRY_P, n))
        name_parts = [rng.integers(0, len(_NAME_A), n), rng.integers(0, len(_NAME_B), n),
                      rng.integers(0, len(_NAME_C), n)]

        def names(rows: slice) -> pa.Array:
            a, b, c = (_cat(words, part[rows]) for words, part in zip((_NAME_A, _NAME_B, _NAME_C), name_parts))
            return pc.binary_join_element_wise(pc.binary_join_element_wise(a, b, ""), c, " ")

        w = self._writer("accounts")
        w.write_rows(n, lambda r: dict(
            account_id=_ids("A", np.arange(r.start, r.stop) + 1, self.width),
            account_name=names(r),
            industry=_cat(_INDUSTRIES, industry[r]),
            segment=_cat(SEGMENTS, seg[r]),
            region=_cat(REGIONS, region[r]),
            owner_id=_cat(users.ids, owner[r]),
            created_at=_ts(created[r]),
        ))
        self._done(w)

    def _activities_on_opportunities(self):
        rng, users = self.rng, self.users
        for o in (self.nb, self.later):
            n = len(o["created"])
            k = np.minimum(1 + rng.poisson(1.2, n), 6)
            oi = np.repeat(np.arange(n), k)
            usr = o["owner"][oi]
            lo = np.maximum(o["created"][oi], users.hired[usr] * DAY)
            hi = np.minimum(o["end_time"][oi], (users.left[usr] + 1) * DAY - SEC)
            t = _to_sec(lo + (rng.random(len(oi)) * np.maximum(hi - lo, 0)).astype(np.int64))
            t = np.maximum(t, lo)
            kind = _choice(rng, np.array([0.25, 0.25, 0.50]), len(oi))
            self._write_activities(usr, None, o["num"][oi], kind, t)
        self._done(self.w_activities)

    # ------------------------------------------------------------------
    def _bookings(self):
        """Won, non-deleted new-business and expansion deals closed by end_date, in USD."""
        rows = []
        for o in (self.nb, self.later):
            m = o["won_final"] & ~o["deleted"] & (o["type"] != 2)
            usd = o["amount"][m] * self.rates.rate(o["currency"][m], o["close_day"][m])
            rows.append((o["owner"][m], o["close_day"][m], usd, o["type"][m], o["seg"][m]))
        return tuple(np.concatenate([r[i] for r in rows]) for i in range(5))

    def _quotas(self):
        rng, users, S = self.rng, self.users, self.S
        owner, day, usd, _typ, _seg = self._bookings()
        q_first = int(_quarter_index(np.array([S]))[0])
        q_last = int(_quarter_index(np.array([self.fy_end]))[0])
        reps = np.nonzero(np.isin(users.rep_team, [T_SMB, T_MM, T_ENT, T_AM]))[0]
        qa = np.maximum(_quarter_index(users.hired[reps]), q_first)
        qb = np.minimum(_quarter_index(np.minimum(users.left[reps], self.fy_end)), q_last)
        cnt = np.maximum(0, qb - qa + 1)
        ui = np.repeat(reps, cnt)
        qi = np.repeat(qa, cnt) + (np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt))
        q_start, q_end = _quarter_start(qi), _quarter_start(qi + 1) - 1
        # bookings per rep-quarter, to calibrate each team's quota as a multiple of OTE
        nq = q_last - q_first + 1
        bq = np.zeros((users.n, nq))
        bqi = _quarter_index(day) - q_first
        okb = (bqi >= 0) & (bqi < nq)
        np.add.at(bq, (owner[okb], bqi[okb]), usd[okb])
        booked = bq[ui, qi - q_first]
        year_idx = (qi // 4) - (q_first // 4)
        uplift = 1.05 ** year_idx
        complete = q_end <= self.E
        ramped = add_months(users.hired[ui], users.ramp[ui]) <= q_start
        full = complete & ramped & (users.hired[ui] <= q_start) & (users.left[ui] >= q_end)
        quota = np.zeros(len(ui))
        team = users.rep_team[ui]
        for t in np.unique(team):
            m = team == t
            base = full & m
            if not base.any():
                base = complete & m
            if not base.any():
                base = m
            per_ote = (booked[base] / uplift[base]).sum() / (users.ote[ui[base]] / 4).sum()
            mult = max(per_ote * 1.12, 0.05)
            quota[m] = users.ote[ui[m]] / 4 * mult * uplift[m] * rng.uniform(0.95, 1.05, int(m.sum()))
        quota = np.maximum(1000.0, np.round(quota, -3))
        order = np.lexsort((q_start, ui))
        w = self._writer("quotas")
        w.write(
            user_id=_cat(users.ids, ui[order]),
            period_start=_date(q_start[order]),
            period_end=_date(q_end[order]),
            quota_amount=_num(quota[order]),
        )
        self._done(w)

    def _arr_at(self, days, mask=None):
        """ARR (USD) by segment of the subscriptions active on each day (converted that day)."""
        s = self.subs
        m = np.ones(len(s["acct"]), bool) if mask is None else mask
        out = np.zeros((3, len(days)))
        rate_cache = {}
        for seg in range(3):
            for cur in (-1, 0, 1, 2):
                g = m & (s["seg"] == seg) & (s["currency"] == cur)
                if not g.any():
                    continue
                st, en, arr = s["start"][g], s["end"][g], s["arr"][g]
                o1, o2 = np.argsort(st, kind="stable"), np.argsort(en, kind="stable")
                c1 = np.concatenate([[0.0], np.cumsum(arr[o1])])
                c2 = np.concatenate([[0.0], np.cumsum(arr[o2])])
                val = c1[np.searchsorted(st[o1], days, side="right")] - c2[np.searchsorted(en[o2], days, side="right")]
                if cur not in rate_cache:
                    rate_cache[cur] = self.rates.rate(np.full(len(days), cur), days)
                out[seg] += val * rate_cache[cur]
        return out

    def _targets(self):
        """Quarter and year targets: last year's actuals x an ambitious growth plan."""
        rng, S, E = self.rng, self.S, self.E
        q_first = int(_quarter_index(np.array([S]))[0])
        q_last = int(_quarter_index(np.array([self.fy_end]))[0])
        qs = np.arange(q_first, q_last + 1)
        nq = len(qs)
        q_start, q_end = _quarter_start(qs), _quarter_start(qs + 1) - 1
        complete = (q_start >= S) & (q_end <= E)
        owner, day, usd, typ, seg = self._bookings()
        bi = _quarter_index(day) - q_first
        actual: dict[tuple[str, int | None], np.ndarray] = {}
        for metric, t in (("new_business_arr", 0), ("expansion_arr", 1)):
            for sg in range(3):
                m = (typ == t) & (seg == sg)
                actual[(metric, sg)] = np.bincount(bi[m], weights=usd[m], minlength=nq)[:nq]
        arr = self._arr_at(np.concatenate([q_start[:1] - 1, q_end]))
        for sg in range(3):
            actual[("net_new_arr", sg)] = np.diff(arr[sg])
        ai = self.subs["product"] == self.AI
        arr_ai = self._arr_at(np.concatenate([q_start[:1] - 1, q_end]), ai).sum(axis=0)
        ai_actual = np.diff(arr_ai)
        sql_q = np.bincount(_quarter_index(self.days) - q_first, weights=self.sql_per_day, minlength=nq)[:nq]
        s1 = []
        for o in (self.nb, self.later):
            m = (o["stage1_time"] >= 0) & ~o["deleted"] & (o["type"] != 2)
            s1.append(_quarter_index(o["stage1_time"][m] // DAY) - q_first)
        s1 = np.concatenate(s1)
        s1_q = np.bincount(s1[(s1 >= 0) & (s1 < nq)], minlength=nq)[:nq].astype(float)
        actual[("sqls", None)] = sql_q
        actual[("stage1_opportunities", None)] = s1_q

        years = (qs // 4) + 1970
        qpos = qs % 4

        def plan(values, growth, phase):
            """Annual plan (last year's actual x growth, first year: its actual + a little) phased into quarters."""
            tgt = np.zeros(nq)
            done = values[complete]
            fallback = (done.mean() * 4 if len(done) else max(values.sum(), 1.0)) * 1.2
            for y in np.unique(years).tolist():
                prev = (years == y - 1) & complete
                this = (years == y) & complete
                if prev.sum() == 4:
                    annual = values[prev].sum() * growth * rng.uniform(0.97, 1.05)
                elif this.sum() == 4:
                    annual = values[this].sum() * rng.uniform(1.0, 1.1)
                else:
                    annual = fallback
                sel = years == y
                tgt[sel] = annual * phase[qpos[sel]]
            return tgt

        bookings_phase = np.array([0.21, 0.24, 0.25, 0.30])
        flat_phase = np.array([0.24, 0.25, 0.24, 0.27])
        rows = []  # (metric, segment, product, quarter values; nan = no target)
        seg_targets = {}
        for metric in ("new_business_arr", "expansion_arr", "net_new_arr"):
            per_seg = np.stack([plan(actual[(metric, sg)], 1.45, bookings_phase) for sg in range(3)])
            if metric == "net_new_arr":
                per_seg = np.maximum(per_seg, 0.3 * seg_targets["new_business_arr"])
            per_seg = np.maximum(0.0, np.round(per_seg, -3))
            seg_targets[metric] = per_seg
            for sg in range(3):
                rows.append((metric, SEGMENTS[sg], None, per_seg[sg]))
            rows.append((metric, None, None, per_seg.sum(axis=0)))
        # the company's bookings target (what coverage and commit are measured against): new business + expansion
        rows.append(("bookings_arr", None, None, (seg_targets["new_business_arr"] + seg_targets["expansion_arr"]).sum(axis=0)))
        for metric in ("sqls", "stage1_opportunities"):
            rows.append((metric, None, None, np.maximum(1.0, np.round(plan(actual[(metric, None)], 1.3, flat_phase)))))
        # the AI Assistant's launch plan: a linear ramp per quarter from launch to the end of the
        # current fiscal year, 25 % above what the launch actually delivered so far
        q_launch = max(0, int(_quarter_index(np.array([self.ai_launch]))[0]) - q_first)
        step = np.arange(nq) - q_launch + 1.0
        post = step >= 1
        done = post & complete
        if done.any() and ai_actual[done].sum() > 0:
            slope = 1.25 * ai_actual[done].sum() / step[done].sum()
        else:
            slope = 0.05 * seg_targets["expansion_arr"].sum() / nq
        ai_t = np.where(post, np.maximum(1000.0, np.round(slope * step, -3)), np.nan)
        rows.append(("net_new_arr", None, self.products[self.AI][0], ai_t))

        out = dict(period_start=[], period_end=[], metric=[], segment=[], product_id=[], target_value=[])

        def add(ps, pe, metric, sg, prod, val):
            out["period_start"].append(ps); out["period_end"].append(pe); out["metric"].append(metric)
            out["segment"].append(sg); out["product_id"].append(prod); out["target_value"].append(float(val))

        for y in np.unique(years).tolist():
            yq = np.nonzero(years == y)[0]
            ys, ye = _day(f"{y}-01-01"), _day(f"{y}-12-31")
            for metric, sg, prod, vals in rows:
                sel = yq[~np.isnan(vals[yq])]
                if not len(sel):
                    continue
                add(ys, ye, metric, sg, prod, vals[sel].sum())
                for i in sel.tolist():
                    add(int(q_start[i]), int(q_end[i]), metric, sg, prod, vals[i])
        w = self._writer("targets")
        w.write(
            period_start=_date(np.array(out["period_start"])),
            period_end=_date(np.array(out["period_end"])),
            metric=pa.array(out["metric"], pa.string()),
            segment=pa.array(out["segment"], pa.string()),
            product_id=pa.array(out["product_id"], pa.string()),
            target_value=_num(np.array(out["target_value"])),
        )
        self._done(w)

    # ------------------------------------------------------------------
    def _small_tables(self):
        w = self._writer("users")
        w.write(**self.users.table())
        self._done(w)
        w = self._writer("products")
        w.write(
            product_id=pa.array([p[0] for p in self.products], pa.string()),
            product_name=pa.array([p[1] for p in self.products], pa.string()),
            product_family=pa.array([p[2] for p in self.products], pa.string()),
            launched_on=_date(np.array([p[3] for p in self.products])),
        )
        self._done(w)
        r = self.rates
        w = self._writer("exchange_rates")
        n = len(r.days)
        w.write(
            currency=_cat(CURRENCIES, np.concatenate([np.full(n, 1), np.full(n, 2)])),
            rate_date=_date(np.concatenate([r.days, r.days])),
            rate_to_reporting=pa.array(np.concatenate([r.values[1], r.values[2]]), pa.float64()),
        )
        self._done(w)
