"""The dbt semantic layer (models/marts/bi/_bi__semantic.yml) against the built marts.

`mf validate-configs` must pass (semantics and warehouse checks), and `mf
query` of every metric at month, quarter and year grain must return the
marts' own numbers:

- month: the marts' month rows, summed over segments / sources (rates as the
  ratio of the summed numerator and denominator);
- quarter and year: the marts' own quarter and year rows where a mart
  publishes them (lead generation, pipeline creation, new business, ARR
  movements) - so MetricFlow's roll-up of months is checked against the
  marts' independent SQL; for the month-only marts, the months rolled up here
  (sums for flows, the period's last month for balances).

Counts compare exactly, money to the cent, rates to 1e-9.

The semantic layer writes no KPI formula again: every measure is a column of
its mart, and every ratio metric divides the numerator and denominator that
the mart's own rate column names in its meta; every rate column of a kpi_
mart names them, and its values are their ratio in the session warehouse.
"""

from __future__ import annotations

import csv
import math
import re
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import duckdb
import pytest
import yaml

from sales_kpis.project import project_dir
from sales_kpis.publish import release_dbt_duckdb_handle

pytestmark = pytest.mark.slow

SEMANTIC_YML = project_dir() / "models" / "marts" / "bi" / "_bi__semantic.yml"
GRAINS = ("month", "quarter", "year")

# metric -> (mart, time column, numerator, denominator or None, kind, how to roll up beyond the mart's rows)
# kind: count (exact), money (cents), rate (1e-9). roll-up: "native" = the mart has quarter/year rows;
# "sum" = months add up; "last" = a balance, the period's last month; "first" = the period's first month.
LEAD = ("kpi_lead_generation", "period_start")
PIPE = ("kpi_pipeline_creation", "period_start")
NEWB = ("kpi_new_business", "period_start")
ARR = ("kpi_arr_movements", "period_start")
RET = ("kpi_retention", "period_start")
REP = ("kpi_rep_attainment", "period_start")
TEAM = ("kpi_team_attainment", "period_start")
SDR = ("kpi_sdr_roi", "month_start")
COV = ("kpi_pipeline_coverage", "period_start")
CAT = ("kpi_forecast_categories", "period_start")
SLIP = ("kpi_deal_slippage", "month_start")
EXPECTED = {
    "leads": (*LEAD, "leads_created", None, "count", "native"),
    "mqls": (*LEAD, "mqls", None, "count", "native"),
    "sqls": (*LEAD, "sqls", None, "count", "native"),
    "cohort_sqls": (*LEAD, "cohort_sqls", None, "count", "native"),
    "lead_to_sql_rate": (*LEAD, "cohort_sqls", "leads_created", "rate", "native"),
    "stage1_opportunities": (*PIPE, "stage1_opportunities", None, "count", "native"),
    "stage1_pipeline_arr": (*PIPE, "stage1_pipeline_arr", None, "money", "native"),
    "stage2_opportunities": (*PIPE, "stage2_opportunities", None, "count", "native"),
    "stage2_pipeline_arr": (*PIPE, "stage2_pipeline_arr", None, "money", "native"),
    "stage1_cohort_reached_stage2": (*PIPE, "stage1_cohort_reached_stage2", None, "count", "native"),
    "stage1_to_stage2_rate": (*PIPE, "stage1_cohort_reached_stage2", "stage1_opportunities", "rate", "native"),
    "won_deals": (*NEWB, "won_opportunities", None, "count", "native"),
    "closed_deals": (*NEWB, "closed_opportunities", None, "count", "native"),
    "win_rate": (*NEWB, "won_opportunities", "closed_opportunities", "rate", "native"),
    "new_business_arr": (*NEWB, "won_arr", None, "money", "native"),
    "closed_new_business_arr": (*NEWB, "closed_arr", None, "money", "native"),
    "win_rate_arr": (*NEWB, "won_arr", "closed_arr", "rate", "native"),
    "avg_deal_size": (*NEWB, "won_arr", "won_opportunities", "money", "native"),
    "new_logos": (*NEWB, "new_logos", None, "count", "native"),
    "net_new_arr": (*ARR, "net_new_arr", None, "money", "native"),
    "new_arr": (*ARR, "new_arr", None, "money", "native"),
    "expansion_arr": (*ARR, "expansion_arr", None, "money", "native"),
    "contraction_arr": (*ARR, "contraction_arr", None, "money", "native"),
    "churned_arr": (*ARR, "churned_arr", None, "money", "native"),
    "ending_arr": (*ARR, "ending_arr", None, "money", "native"),
    "starting_arr": (*ARR, "starting_arr", None, "money", "native"),
    "retention_base_arr": (*RET, "base_arr", None, "money", "last"),
    "retained_arr": (*RET, "retained_arr", None, "money", "last"),
    "gross_retained_arr": (*RET, "gross_retained_arr", None, "money", "last"),
    "nrr": (*RET, "retained_arr", "base_arr", "rate", "last"),
    "grr": (*RET, "gross_retained_arr", "base_arr", "rate", "last"),
    "quota": (*REP, "quota_amount", None, "money", "sum"),
    "rep_bookings_arr": (*REP, "bookings_arr", None, "money", "sum"),
    "rep_attainment": (*REP, "bookings_arr", "quota_amount", "rate", "sum"),
    "reps_with_quota": (*TEAM, "reps", None, "count", "sum"),
    "reps_at_quota": (*TEAM, "reps_at_quota", None, "count", "sum"),
    "ramped_reps": (*TEAM, "ramped_reps", None, "count", "sum"),
    "ramped_reps_at_quota": (*TEAM, "ramped_reps_at_quota", None, "count", "sum"),
    "pct_reps_at_quota": (*TEAM, "ramped_reps_at_quota", "ramped_reps", "rate", "sum"),
    "sdr_sourced_pipeline_arr": (*SDR, "sourced_pipeline_arr", None, "money", "sum"),
    "sdr_won_arr": (*SDR, "won_arr", None, "money", "sum"),
    "sdr_cost": (*SDR, "monthly_cost", None, "money", "sum"),
    "sdr_roi": (*SDR, "won_arr", "monthly_cost", "rate", "sum"),
    "rep_prior_period_bookings_arr_to_date": (*REP, "prior_period_bookings_arr_to_date", None, "money", "sum"),
    "rep_prior_period_quota": (*REP, "prior_period_quota_amount", None, "money", "sum"),
    "rep_prior_period_attainment_to_date": (*REP, "prior_period_bookings_arr_to_date", "prior_period_quota_amount",
                                            "rate", "sum"),
    "coverage_open_pipeline_arr": (*COV, "open_pipeline_arr", None, "money", "sum"),
    "coverage_weighted_pipeline_arr": (*COV, "weighted_pipeline_arr", None, "money", "sum"),
    "remaining_target": (*COV, "remaining_target", None, "money", "sum"),
    "pipeline_coverage": (*COV, "open_pipeline_arr", "remaining_target", "rate", "sum"),
    "weighted_pipeline_coverage": (*COV, "weighted_pipeline_arr", "remaining_target", "rate", "sum"),
    "prior_open_pipeline_arr": (*COV, "prior_open_pipeline_arr", None, "money", "sum"),
    "prior_weighted_pipeline_arr": (*COV, "prior_weighted_pipeline_arr", None, "money", "sum"),
    "prior_remaining_target": (*COV, "prior_remaining_target", None, "money", "sum"),
    "prior_pipeline_coverage": (*COV, "prior_open_pipeline_arr", "prior_remaining_target", "rate", "sum"),
    "prior_weighted_pipeline_coverage": (*COV, "prior_weighted_pipeline_arr", "prior_remaining_target", "rate", "sum"),
    "forecast_closed_won_arr": (*CAT, "closed_won_arr", None, "money", "sum"),
    "commit_arr": (*CAT, "commit_arr", None, "money", "sum"),
    "best_case_arr": (*CAT, "best_case_arr", None, "money", "sum"),
    "category_pipeline_arr": (*CAT, "pipeline_arr", None, "money", "sum"),
    "commit_forecast_arr": (*CAT, "commit_forecast_arr", None, "money", "sum"),
    "best_case_forecast_arr": (*CAT, "best_case_forecast_arr", None, "money", "sum"),
    "quota_or_target": (*CAT, "quota_or_target", None, "money", "sum"),
    "commit_attainment": (*CAT, "commit_forecast_arr", "quota_or_target", "rate", "sum"),
    "best_case_attainment": (*CAT, "best_case_forecast_arr", "quota_or_target", "rate", "sum"),
    "slipped_deals": (*SLIP, "slipped_deals", None, "count", "sum"),
    "slipped_arr": (*SLIP, "slipped_arr", None, "money", "sum"),
    "pulled_in_deals": (*SLIP, "pulled_in_deals", None, "count", "sum"),
    "pulled_in_arr": (*SLIP, "pulled_in_arr", None, "money", "sum"),
    "stale_deals": (*SLIP, "stale_deals", None, "count", "last"),
}
MONTH_GRAIN_MARTS = {"kpi_lead_generation", "kpi_pipeline_creation", "kpi_new_business", "kpi_arr_movements",
                     "kpi_retention"}
#: The rows a mart's metrics read: the month rows of the marts with a period grain, the team rows of team attainment.
MART_ROWS = {**{mart: "period_grain = 'month'" for mart in MONTH_GRAIN_MARTS}, "kpi_team_attainment": "rollup_type = 'team'"}
#: The rows of the marts with levels (company, team, manager, rep) that the metrics read: the company's; of the
#: forward view's coverage and categories, the quarter rows.
LEVEL_ROWS = {mart: "level = 'company'" for mart in ("kpi_pipeline_creation", "kpi_new_business", "kpi_deal_slippage")}
LEVEL_ROWS.update({mart: "level = 'company' and period_grain = 'quarter'"
                   for mart in ("kpi_pipeline_coverage", "kpi_forecast_categories")})


def defined_metrics() -> list[str]:
    return [metric["name"] for metric in yaml.safe_load(SEMANTIC_YML.read_text())["metrics"]]


def mf_executable() -> str:
    local = Path(sys.executable).with_name("mf")
    return str(local) if local.exists() else (shutil.which("mf") or "mf")


@pytest.fixture(scope="module")
def mf_project(built_warehouse, tmp_path_factory) -> dict:
    """A directory mf can run in: the project's dbt_project.yml and profiles.yml, the build's semantic manifest.

    mf reads <project>/target/semantic_manifest.json; a scratch directory keeps
    the repository's target/ out of it. It queries a copy of the warehouse.
    """
    root = tmp_path_factory.mktemp("mf")
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copyfile(project_dir() / name, root / name)
    (root / "target").mkdir()
    shutil.copyfile(built_warehouse.target_path / "semantic_manifest.json", root / "target" / "semantic_manifest.json")
    release_dbt_duckdb_handle()
    database = root / "wh.duckdb"
    shutil.copyfile(built_warehouse.database, database)
    return {"root": root, "database": database}


def run_mf(mf_project: dict, *arguments: str) -> subprocess.CompletedProcess:
    environment = {**__import__("os").environ, "SALES_KPIS_DBT_DUCKDB_PATH": str(mf_project["database"]),
                   "SALES_KPIS_TARGET": "duckdb", "DO_NOT_TRACK": "1"}
    environment.pop("DBT_PROFILES_DIR", None)
    environment.pop("DBT_PROJECT_DIR", None)
    return subprocess.run([mf_executable(), *arguments], cwd=mf_project["root"], env=environment,
                          capture_output=True, text=True, timeout=600)


def test_every_metric_has_an_expectation():
    assert sorted(defined_metrics()) == sorted(EXPECTED)


def test_headline_kpis_of_every_family_are_metrics():
    required = {"leads", "sqls", "lead_to_sql_rate", "stage1_pipeline_arr", "stage2_pipeline_arr",
                "stage1_opportunities", "stage2_opportunities", "win_rate", "new_business_arr", "avg_deal_size",
                "net_new_arr", "nrr", "grr", "rep_attainment"}
    assert required <= set(defined_metrics())


def test_rates_are_ratio_metrics():
    metrics = {metric["name"]: metric for metric in yaml.safe_load(SEMANTIC_YML.read_text())["metrics"]}
    for name, (_, _, _, denominator, kind, _) in EXPECTED.items():
        if denominator is not None:
            assert metrics[name]["type"] == "ratio", name


# --------------------------------------------------------------------------- published numerators and denominators

MART_YMLS = sorted((project_dir() / "models" / "marts").glob("*/kpi_*.yml"))
#: Double columns that are not a ratio of two quantities a BI tool could re-aggregate: medians (order
#: statistics), z statistics, and kpi_funnel_diagnosis's relative changes between two rates.
NOT_RATIOS = re.compile(r"(^|_)median_|_z$|_change$")


def mart_columns() -> dict[str, dict[str, dict]]:
    """{mart: {column: its yml entry}} of every kpi_ mart."""
    return {model["name"]: {column["name"]: column for column in model.get("columns", [])}
            for path in MART_YMLS for model in yaml.safe_load(path.read_text())["models"]}


def rate_terms(marts: dict[str, dict[str, dict]]) -> dict[tuple[str, str], tuple[str, str]]:
    """{(mart, rate column): (numerator column, denominator column)}, from the columns' meta."""
    published = {(mart, name): (column["meta"]["numerator"], column["meta"]["denominator"])
                 for mart, columns in marts.items() for name, column in columns.items()
                 if "numerator" in (column.get("meta") or {}) or "denominator" in (column.get("meta") or {})}
    return published


def test_every_rate_column_names_its_published_numerator_and_denominator():
    marts = mart_columns()
    terms = rate_terms(marts)
    problems = []
    for mart, columns in sorted(marts.items()):
        for name, column in columns.items():
            if str(column.get("data_type", "")).startswith("double") and not NOT_RATIOS.search(name) \
                    and (mart, name) not in terms:
                problems.append(f"{mart}.{name}: a rate without meta numerator and denominator")
    for (mart, name), pair in sorted(terms.items()):
        problems += [f"{mart}.{name}: {term!r} is not a column of {mart}" for term in pair if term not in marts[mart]]
    assert not problems, "\n".join(problems)
    print(f"{len(terms)} rate columns name their numerator and denominator")


def test_measures_are_columns_and_ratio_metrics_divide_what_the_mart_publishes():
    """No formula in the semantic layer: a measure is a column of its mart (expr, if any, only renames), and
    a ratio metric's numerator and denominator are the columns its mart's rate column names in its meta."""
    semantic = yaml.safe_load(SEMANTIC_YML.read_text())
    marts = mart_columns()
    problems, measures = [], {}
    for model in semantic["semantic_models"]:
        mart = re.fullmatch(r"ref\('(\w+)'\)", model["model"]).group(1)
        for measure in model["measures"]:
            column = str(measure.get("expr", measure["name"]))
            if column not in marts[mart]:
                problems.append(f"measure {measure['name']}: {column!r} is not a column of {mart}")
            measures[measure["name"]] = (mart, column)
    metrics = {metric["name"]: metric for metric in semantic["metrics"]}
    rates = {(mart, pair): name for (mart, name), pair in rate_terms(marts).items()}
    ratios = 0
    for metric in metrics.values():
        if metric["type"] != "ratio":
            continue
        ratios += 1
        (mart, numerator), (denominator_mart, denominator) = (
            measures[metrics[metric["type_params"][term]]["type_params"]["measure"]]
            for term in ("numerator", "denominator"))
        if denominator_mart != mart:
            problems.append(f"{metric['name']}: numerator from {mart}, denominator from {denominator_mart}")
        elif (mart, (numerator, denominator)) not in rates:
            problems.append(f"{metric['name']}: {mart} publishes no rate of {numerator} / {denominator}")
    assert ratios > 0
    assert not problems, "\n".join(problems)
    print(f"{len(measures)} measures are mart columns; {ratios} ratio metrics divide a mart's published terms")


def test_every_rate_is_the_ratio_of_the_columns_it_names(built_warehouse):
    """The meta is true: in the session warehouse each rate equals numerator / denominator on every row
    (null where the denominator is 0 or null; money averages rounded to the cent, half away from zero)."""
    marts = mart_columns()
    problems, checked = [], 0
    for (mart, name), (numerator, denominator) in sorted(rate_terms(marts).items()):
        tolerance = "0.005000001" if str(marts[mart][name].get("data_type", "")).startswith("decimal") \
            else f"1e-9 * greatest(1, abs({numerator} * 1.0 / {denominator}))"
        holds = (f"({name} is null and coalesce({denominator}, 0) = 0) or ({name} is null and {numerator} is null)"
                 f" or abs({name} - cast({numerator} as double) / nullif({denominator}, 0)) <= {tolerance}")
        rows, wrong, example = built_warehouse.query(
            f"select count(*), count(*) filter (where not ({holds})),"
            f" any_value(concat_ws(' ', {name}, 'vs', {numerator}, '/', {denominator})) filter (where not ({holds}))"
            f" from {built_warehouse.relation(mart)}")[0]
        checked += rows
        if wrong:
            problems.append(f"{mart}.{name}: {wrong} of {rows} rows are not {numerator} / {denominator} (e.g. {example})")
    assert not problems, "\n".join(problems)
    print(f"{len(rate_terms(marts))} rates over {checked} rows equal the ratio of the columns they name")


def test_mf_validate_configs_passes(mf_project):
    done = run_mf(mf_project, "validate-configs")
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert "Successfully validated metrics against data warehouse" in output, output[-3000:]
    assert "ERRORS: 0, FUTURE_ERRORS: 0, WARNINGS: 0" in output
    import re

    assert not re.search(r"ERRORS: [1-9]", output), output[-3000:]


def read_mf(path: Path, grain: str) -> dict[str, dict[str, float]]:
    """{metric: {period start 'YYYY-MM-DD': value}} from mf's CSV (empty cells dropped)."""
    values: dict[str, dict[str, float]] = defaultdict(dict)
    with path.open() as handle:
        for row in csv.DictReader(handle):
            period = row.pop(f"metric_time__{grain}")[:10]
            for metric, value in row.items():
                if value not in ("", None):
                    values[metric][period] = float(value)
    return values


def period_start(day: str, grain: str) -> str:
    year, month = int(day[:4]), int(day[5:7])
    if grain == "month":
        return f"{year:04d}-{month:02d}-01"
    if grain == "quarter":
        return f"{year:04d}-{(month - 1) // 3 * 3 + 1:02d}-01"
    return f"{year:04d}-01-01"


def expected_values(connection, metric: str, grain: str) -> dict[str, float]:
    """The metric from the marts, per period start, at a grain (see the module doc)."""
    mart, time_column, numerator, denominator, _, rollup = EXPECTED[metric]
    filters = [MART_ROWS.get(mart), LEVEL_ROWS.get(mart)]
    month_filter = ("where " + " and ".join(f for f in filters if f)) if any(filters) else ""
    level_filter = f" and {LEVEL_ROWS[mart]}" if mart in LEVEL_ROWS else ""
    if grain != "month" and rollup == "native":
        rows = connection.execute(
            f"select cast(period_start as varchar), sum({numerator}), {f'sum({denominator})' if denominator else 'null'} "
            f"from main.{mart} where period_grain = ?{level_filter} group by period_start", [grain]
        ).fetchall()
    else:
        months = connection.execute(
            f"select cast({time_column} as varchar), sum({numerator}), {f'sum({denominator})' if denominator else 'null'} "
            f"from main.{mart} {month_filter} group by {time_column}"
        ).fetchall()
        # Roll the months up to the grain: sums for flows, the last month for balances.
        grouped: dict[str, list[tuple[str, float, float | None]]] = defaultdict(list)
        for day, value, base in months:
            grouped[period_start(day, grain)].append((day, value, base))
        rows = []
        for start, members in grouped.items():
            if rollup == "last":
                day, value, base = max(members)
                rows.append((start, value, base))
            else:
                # a period whose months are all null (a measure with nothing to measure yet) is null, as in mf
                rows.append((start, total(value for _, value, _ in members),
                             total(base for _, _, base in members) if denominator else None))
    result = {}
    for start, value, base in rows:
        if denominator:
            if base is None or float(base) == 0:
                continue  # a rate over nothing is null, in the mart and in mf
            result[start[:10]] = float(value or 0) / float(base)
        elif value is not None:
            result[start[:10]] = float(value)
    return result


def total(values) -> float | None:
    """The sum of the non-null values; null when every value is null."""
    present = [float(value) for value in values if value is not None]
    return sum(present) if present else None


def agree(kind: str, got: float, want: float) -> bool:
    if kind == "count":
        return got == want
    if kind == "money":
        return round(got, 2) == round(want, 2)
    return math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12)


def test_mf_query_equals_the_marts_for_every_metric_and_grain(mf_project):
    metrics = defined_metrics()
    # mf opens the warehouse read-write: query it before this test opens it.
    results = {}
    for grain in GRAINS:
        out = mf_project["root"] / f"mf_{grain}.csv"
        done = run_mf(mf_project, "query", "--metrics", ",".join(metrics), "--group-by", f"metric_time__{grain}",
                      "--csv", str(out))
        assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
        results[grain] = read_mf(out, grain)
    with duckdb.connect(str(mf_project["database"]), read_only=True) as connection:
        has_metadata = connection.execute(
            "select count(*) from information_schema.tables where table_name = 'build_metadata'").fetchone()[0]
        fiscal_start = connection.execute(
            "select fiscal_year_start_month from main.build_metadata").fetchone()[0] if has_metadata else 1
        assert fiscal_start == 1, "quarters and years compare with calendar ones only when the fiscal year starts in January"
        compared, values, mismatches = 0, 0, []
        for grain in GRAINS:
            got = results[grain]
            for metric in metrics:
                kind = EXPECTED[metric][4]
                want = expected_values(connection, metric, grain)
                have = got.get(metric, {})
                assert want, f"{metric} has no rows in its mart at {grain} grain"
                periods = set(want) | {period for period, value in have.items() if value != 0}
                for period in sorted(periods):
                    values += 1
                    if period not in want or period not in have or not agree(kind, have[period], want[period]):
                        mismatches.append((metric, grain, period, have.get(period), want.get(period)))
                compared += 1
    by_metric = Counter((metric, grain) for metric, grain, *_ in mismatches)
    assert not mismatches, (f"{len(mismatches)} mismatches by (metric, grain): {dict(by_metric)}; "
                            f"first (metric, grain, period, mf, mart): {mismatches[:5]}")
    print(f"mf query = marts: {compared} metric x grain pairs ({len(metrics)} metrics x {len(GRAINS)} grains), "
          f"{values} period values")
