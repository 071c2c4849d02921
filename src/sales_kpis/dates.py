"""Calendar-month arithmetic, for a ``datetime.date`` and for numpy arrays of
day numbers (days since 1970-01-01, the generator's vectorised form)."""

from __future__ import annotations

import datetime as dt
from typing import overload

import numpy as np

EPOCH = dt.date(1970, 1, 1)


def month_index(days) -> np.ndarray:
    """Months since 1970-01 of day numbers."""
    return np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def month_start_of_index(months) -> np.ndarray:
    """The day number of the first day of each month (months since 1970-01)."""
    return np.asarray(months, dtype=np.int64).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


@overload
def add_months(day: dt.date, months: int) -> dt.date: ...
@overload
def add_months(day: np.ndarray, months) -> np.ndarray: ...


def add_months(day, months):
    """The same day of the month ``months`` later (earlier when negative),
    clamped to that month's last day: Jan 31 + 1 month = Feb 28 (29).

    ``day`` is a date, or day numbers (arrays broadcast against ``months``).
    """
    if isinstance(day, dt.date):
        shifted = add_months(np.int64((day - EPOCH).days), months)
        return EPOCH + dt.timedelta(days=int(shifted))
    days = np.asarray(day, dtype=np.int64)
    month = month_index(days)
    day_of_month = days - month_start_of_index(month)
    target = month + np.asarray(months, dtype=np.int64)
    first = month_start_of_index(target)
    last_day_of_month = month_start_of_index(target + 1) - first - 1
    return first + np.minimum(day_of_month, last_day_of_month)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)
