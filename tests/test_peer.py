"""The benchmark's peer (src/sales_kpis/devtools/peer.py) computes what the marts publish.

`sales-kpis bench --peer` times the project against a pandas re-computation
of six headline marts; the comparison only means something if both compute
the same numbers. On the session's warehouse every row of the six marts is
matched by key with the peer's, and every column the peer computes must
agree: counts, flags and dates exactly, money to the cent, rates to 1e-9.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from sales_kpis.devtools import peer

pytestmark = pytest.mark.slow

KEYS = {
    "kpi_lead_generation": ["period_grain", "period_start", "lead_source"],
    "kpi_pipeline_creation": ["period_grain", "period_start", "segment", "lead_source"],
    "kpi_new_business": ["period_grain", "period_start", "segment"],
    "kpi_arr_movements": ["period_grain", "period_start", "segment"],
    "kpi_retention": ["period_grain", "period_start", "segment"],
    "kpi_rep_attainment": ["user_id", "period_start", "period_end"],
}
CENT = Decimal("0.01")
LEVELLED = ("kpi_pipeline_creation", "kpi_new_business")


@pytest.fixture(scope="module")
def peer_marts(built_warehouse) -> dict[str, pd.DataFrame]:
    return peer.published(peer.compute(built_warehouse.raw_dir, built_warehouse.as_of))


def _missing(value) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def agree(mart_value, peer_value) -> bool:
    """One figure: money (the peer's Decimals) to the cent, floats to 1e-9, the rest exactly."""
    if _missing(mart_value) or _missing(peer_value):
        return _missing(mart_value) and _missing(peer_value)
    if isinstance(peer_value, Decimal):
        return Decimal(str(mart_value)).quantize(CENT) == peer_value
    if isinstance(peer_value, (float, np.floating)) and not float(peer_value).is_integer() or isinstance(
            mart_value, (float, np.floating)):
        return abs(float(mart_value) - float(peer_value)) <= 1e-9 * max(1.0, abs(float(mart_value)))
    if isinstance(peer_value, (np.datetime64, pd.Timestamp)) or isinstance(mart_value, (pd.Timestamp,)):
        return pd.Timestamp(mart_value) == pd.Timestamp(peer_value)
    if isinstance(peer_value, (bool, np.bool_)) or isinstance(mart_value, (bool, np.bool_)):
        return bool(mart_value) == bool(peer_value)
    return int(mart_value) == int(peer_value)


def _keyed(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    frame = frame.copy()
    for key in keys:
        if key in ("period_start", "period_end"):
            frame[key] = pd.to_datetime(frame[key])
    return frame.set_index(keys)


@pytest.mark.parametrize("name", peer.MARTS)
def test_the_peer_computes_the_marts_figures(name, peer_marts, built_warehouse):
    keys = KEYS[name]
    ours = _keyed(peer_marts[name], keys)
    # the peer computes the company's figures; the marts with rep, team and manager rows add level
    company = " where level = 'company'" if name in LEVELLED else ""
    mart = _keyed(built_warehouse.df(f"select * from {built_warehouse.relation(name)}{company}"), keys)
    assert ours.index.is_unique and mart.index.is_unique
    assert len(mart) > 0
    only_peer, only_mart = ours.index.difference(mart.index), mart.index.difference(ours.index)
    assert only_peer.empty and only_mart.empty, (
        f"{name}: rows differ; only in the peer {list(only_peer[:5])}, only in the mart {list(only_mart[:5])}")
    columns = [column for column in ours.columns if column in mart.columns]
    assert set(ours.columns) - set(columns) <= {"is_complete"}, "every figure of the peer is a column of the mart"
    assert len(columns) >= 6
    mart = mart.loc[ours.index]
    differences = [(key, column, mart.at[key, column], ours.at[key, column])
                   for column in columns for key in ours.index if not agree(mart.at[key, column], ours.at[key, column])]
    assert not differences, f"{name}: {len(differences)} figures differ (key, column, mart, peer): {differences[:10]}"


def test_the_peer_command_writes_every_mart(built_warehouse, tmp_path):
    assert peer.main([str(built_warehouse.raw_dir), str(tmp_path), "--as-of", built_warehouse.as_of]) == 0
    summary = json.loads((tmp_path / "peer.json").read_text())
    assert set(summary["rows"]) == set(peer.MARTS) and summary["seconds"] > 0
    for name in peer.MARTS:
        assert len(pd.read_parquet(tmp_path / f"{name}.parquet")) == summary["rows"][name] > 0
