"""Calendar-month arithmetic (src/sales_kpis/dates.py): one add_months for dates and for day-number arrays."""

from __future__ import annotations

import datetime as dt

import numpy as np

from sales_kpis.dates import EPOCH, add_months, month_start


def test_add_months_clamps_to_the_month_end():
    assert add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)
    assert add_months(dt.date(2025, 1, 31), 1) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2025, 3, 31), -1) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2025, 5, 31), 1) == dt.date(2025, 6, 30)
    assert add_months(dt.date(2025, 2, 28), 1) == dt.date(2025, 3, 28)


def test_add_months_crosses_years_both_ways():
    assert add_months(dt.date(2025, 11, 15), 3) == dt.date(2026, 2, 15)
    assert add_months(dt.date(2026, 1, 1), -1) == dt.date(2025, 12, 1)
    assert add_months(dt.date(2026, 1, 1), -23) == dt.date(2024, 2, 1)
    assert add_months(dt.date(2026, 10, 1), 0) == dt.date(2026, 10, 1)


def test_day_numbers_broadcast_and_agree_with_dates():
    days = [dt.date(2024, 1, 31), dt.date(2024, 3, 15), dt.date(2023, 12, 31)]
    numbers = np.array([(day - EPOCH).days for day in days])
    shifted = add_months(numbers[:, None], np.array([[1, 12, -2]]))
    assert shifted.shape == (3, 3)
    for row, day in enumerate(days):
        for column, months in enumerate([1, 12, -2]):
            assert EPOCH + dt.timedelta(days=int(shifted[row, column])) == add_months(day, months)


def test_month_start():
    assert month_start(dt.date(2026, 10, 31)) == dt.date(2026, 10, 1)
