"""The funnel marts against an independent re-computation in pandas.

The session's warehouse (``built_warehouse``: generated data, as of AS_OF) is
compared with :mod:`funnel_reference`, which re-derives every figure from the
raw parquet files, the stages seed and the project's vars only (never a dbt
model). Counts must agree exactly, money to the cent, rates to 1e-9. Each test
prints how many figures it compared (``pytest -s``); on generated data of
SALES_KPIS_TEST_LEADS leads (default 3000).
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

import funnel_reference as ref
from sales_kpis.project import project_dir

RATE_TOLERANCE = 1e-9


@pytest.fixture(scope="module")
def facts(built_warehouse) -> ref.Facts:
    return ref.build_facts(built_warehouse.raw_dir, project_dir(), built_warehouse.as_of)


def mart(warehouse, name: str) -> pd.DataFrame:
    return warehouse.df(f"select * from {warehouse.relation(name)}")


def _nulls(series: pd.Series) -> pd.Series:
    return series.isna()


def agree(actual: pd.Series, expected: pd.Series, kind: str) -> pd.Series:
    """Element-wise: do the mart's and the re-computation's figures agree (nulls agree with nulls)?"""
    both_null = _nulls(actual) & _nulls(expected)
    one_null = _nulls(actual) ^ _nulls(expected)
    if kind == "rate":
        values = (pd.to_numeric(actual, errors="coerce").astype(float)
                  - pd.to_numeric(expected, errors="coerce").astype(float)).abs() <= RATE_TOLERANCE
    elif kind == "money":
        values = pd.Series([
            a is not None and e is not None and not pd.isna(a) and not pd.isna(e)
            and Decimal(str(a)).quantize(ref.CENT) == Decimal(str(e)).quantize(ref.CENT)
            for a, e in zip(actual, expected)], index=actual.index)
    elif kind == "count":
        values = pd.to_numeric(actual, errors="coerce") == pd.to_numeric(expected, errors="coerce")
    elif kind == "time":
        values = pd.to_datetime(actual) == pd.to_datetime(expected)
    else:
        values = actual.astype(object) == expected.astype(object)
    return both_null | (~one_null & values.fillna(False).astype(bool))


def compare(actual: pd.DataFrame, expected: pd.DataFrame, keys: list[str], columns: dict[str, str], what: str) -> int:
    """Rows must match one to one on keys; every column must agree. Returns the number of figures compared."""
    actual, expected = actual.copy(), expected.copy()
    for frame in (actual, expected):
        for key in keys:
            if "start" in key and "since" not in key:
                frame[key] = pd.to_datetime(frame[key])
    actual_keys = set(actual[keys].itertuples(index=False, name=None))
    expected_keys = set(expected[keys].itertuples(index=False, name=None))
    assert len(actual_keys) == len(actual), f"{what}: duplicate keys in the mart"
    missing, extra = expected_keys - actual_keys, actual_keys - expected_keys
    assert not missing and not extra, (f"{what}: rows differ; missing from the mart {sorted(missing)[:5]}, "
                                       f"not expected {sorted(extra)[:5]}")
    merged = actual.merge(expected, on=keys, suffixes=("_mart", "_python"), validate="one_to_one")
    compared, mismatches = 0, []
    for column, kind in columns.items():
        ok = agree(merged[f"{column}_mart"], merged[f"{column}_python"], kind)
        compared += len(ok)
        for _, row in merged[~ok].head(5).iterrows():
            mismatches.append((tuple(row[k] for k in keys), column, row[f"{column}_mart"], row[f"{column}_python"]))
        if (~ok).sum() > 5:
            mismatches.append((f"... {(~ok).sum()} rows in all", column, None, None))
    assert not mismatches, f"{what}: figures differ, e.g. (key, column, mart, python):\n" + "\n".join(map(str, mismatches[:20]))
    print(f"{what}: {compared} figures compared over {len(merged)} rows")
    return compared


# --------------------------------------------------------------------------- facts


def test_fct_leads_matches_recomputation(built_warehouse, facts):
    actual = mart(built_warehouse, "fct_leads")
    expected = facts.leads[["lead_id", "opportunity_id", "lead_source", "is_won", "days_to_sql",
                            "sql_at", "stage1_reached_at", "stage2_reached_at", "won_on"]]
    compare(actual, expected, ["lead_id"], {
        "opportunity_id": "text", "lead_source": "text", "is_won": "text", "days_to_sql": "count",
        "sql_at": "time", "stage1_reached_at": "time", "stage2_reached_at": "time", "won_on": "time",
    }, "fct_leads")


def test_fct_opportunities_matches_recomputation(built_warehouse, facts):
    actual = mart(built_warehouse, "fct_opportunities")
    expected = facts.opportunities[["opportunity_id", "arr_amount", "is_won", "segment", "lead_source",
                                    "is_bookings_type", "stage1_reached_at", "stage2_reached_at"]]
    compare(actual, expected, ["opportunity_id"], {
        "arr_amount": "money", "is_won": "text", "segment": "text", "lead_source": "text",
        "is_bookings_type": "text", "stage1_reached_at": "time", "stage2_reached_at": "time",
    }, "fct_opportunities")


# --------------------------------------------------------------------------- marts


def test_kpi_lead_generation_matches_recomputation(built_warehouse, facts):
    actual = mart(built_warehouse, "kpi_lead_generation")
    computed = ref.lead_generation(facts).set_index(["period_grain", "period_start", "lead_source"])
    figures = computed.to_dict("index")
    counts = ["leads_created", "mqls", "sqls", "leads_converted", "cohort_mqls", "cohort_sqls", "cohort_converted"]
    # Dense: every period from the first lead event to the as-of date, for every source.
    sources = sorted({key[2] for key in figures})
    first_event = min(facts.leads[c].min() for c in ("created_on", "mql_on", "sql_on", "converted_on"))
    rows = []
    for grain in ref.GRAINS:
        starts = ref.periods_between(first_event, facts.as_of, grain)
        for start in starts:
            sdrs = ref.active_sdrs(facts, start, grain)
            for source in sources:
                key = (grain, start, source)
                row = {"period_grain": grain, "period_start": start, "lead_source": source,
                       "period_end": ref.period_end(start, grain), "active_sdrs": sdrs,
                       "is_complete": ref.period_end(start, grain) <= facts.as_of,
                       **{c: int(figures[key][c]) if key in figures else 0 for c in counts}}
                row["lead_to_sql_rate"] = row["cohort_sqls"] / row["leads_created"] if row["leads_created"] else None
                row["sqls_per_sdr"] = row["sqls"] / sdrs if sdrs else None
                row["lead_velocity_rate"] = None
                previous_start = start - pd.DateOffset(months=1)
                if grain == "month" and previous_start in starts:
                    previous_key = ("month", previous_start, source)
                    previous = int(figures[previous_key]["sqls"]) if previous_key in figures else 0
                    if previous:
                        row["lead_velocity_rate"] = (row["sqls"] - previous) / previous
                rows.append(row)
    expected = pd.DataFrame(rows)
    compare(actual, expected, ["period_grain", "period_start", "lead_source"], {
        **{c: "count" for c in counts}, "active_sdrs": "count", "period_end": "time", "is_complete": "text",
        "lead_to_sql_rate": "rate", "sqls_per_sdr": "rate", "lead_velocity_rate": "rate",
    }, "kpi_lead_generation")
    # Headline: at every grain the periods add up to every lead.
    for grain in ref.GRAINS:
        assert actual.loc[actual["period_grain"] == grain, "leads_created"].sum() == len(facts.leads)


def test_kpi_pipeline_creation_matches_recomputation(built_warehouse, facts):
    actual = mart(built_warehouse, "kpi_pipeline_creation").query("level == 'company'")  # the levels: test_forward_recompute
    expected = ref.pipeline_creation(facts)
    expected["stage1_to_stage2_rate"] = [
        n / d if d else None for n, d in zip(expected["stage1_cohort_reached_stage2"], expected["stage1_opportunities"])]
    compare(actual, expected, ["period_grain", "period_start", "segment", "lead_source"], {
        "stage1_opportunities": "count", "stage1_pipeline_arr": "money", "stage2_opportunities": "count",
        "stage2_pipeline_arr": "money", "stage1_cohort_reached_stage2": "count", "stage1_to_stage2_rate": "rate",
    }, "kpi_pipeline_creation")


def test_kpi_pipeline_cohorts_matches_recomputation(built_warehouse, facts):
    actual = mart(built_warehouse, "kpi_pipeline_cohorts")
    expected = ref.pipeline_cohorts(facts)
    for k in (1, 2):
        expected[f"stage{k}_conversion_rate"] = [
            n / d if d else None for n, d in zip(expected[f"reached_stage{k}"], expected["cohort_leads"])]
    compare(actual, expected, ["cohort_grain", "cohort_start", "periods_since_start"], {
        "period_start": "time", "cohort_leads": "count", "reached_stage1": "count", "reached_stage2": "count",
        "stage1_conversion_rate": "rate", "stage2_conversion_rate": "rate", "is_complete": "text",
    }, "kpi_pipeline_cohorts")


def test_kpi_funnel_diagnosis_matches_recomputation(built_warehouse, facts):
    actual = mart(built_warehouse, "kpi_funnel_diagnosis")
    expected = ref.funnel_diagnosis(facts)
    expected["lead_to_sql_rate"] = [n / d if d else None for n, d in zip(expected["cohort_sqls_in_window"], expected["leads_created"])]
    expected["sql_to_won_rate"] = [n / d if d else None for n, d in zip(expected["sqls_won_in_window"], expected["sqls"])]
    compare(actual, expected, ["month_start", "lead_source"], {
        "leads_created": "count", "sqls": "count", "active_sdrs": "count", "cohort_sqls_in_window": "count",
        "sqls_won_in_window": "count", "days_to_sql_total": "count", "median_days_to_sql": "rate",
        "lead_to_sql_rate": "rate", "sql_to_won_rate": "rate",
        "source_window_leads": "count", "source_window_cohort_sqls": "count",
        "source_baseline_leads": "count", "source_baseline_cohort_sqls": "count",
        "window_leads": "count", "baseline_leads": "count", "month_median_days_to_sql": "rate",
        "window_lead_to_sql_rate": "rate", "baseline_lead_to_sql_rate": "rate",
        "lead_to_sql_rate_change": "rate", "leads_per_sdr_change": "rate", "sqls_per_sdr_change": "rate",
        "days_to_sql_change": "rate", "lead_to_sql_rate_z": "rate", "source_lead_to_sql_rate_z": "rate",
        "diagnosis": "text", "is_source_conversion_falling": "text",
    }, "kpi_funnel_diagnosis")
