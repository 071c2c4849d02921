"""Static checks that keep the project buildable on PostgreSQL and Spark (fast: no engine needed).

The same SQL must run on DuckDB, PostgreSQL and Spark (tests/test_engines.py
builds it there). These checks catch the usual breakages before an engine
build does, naming the file and line:

- DuckDB-only syntax in model SQL (`::` casts, QUALIFY, range/generate_series,
  list and struct functions, ...): use dbt's cross-database macros or a
  project macro behind adapter.dispatch (macros/) instead;
- identifiers PostgreSQL truncates or rejects: model and unit-test names are
  relation names there, at most 63 characters.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
POSTGRES_MAX_IDENTIFIER = 63

#: (pattern, why it is not portable, what to use instead)
DUCKDB_ONLY = [
    (r"::", "`::` casts", "cast(x as type)"),
    (r"\bqualify\b", "QUALIFY", "a row_number() column filtered in the next CTE"),
    (r"\bgenerate_series\s*\(|\brange\s*\(", "generate_series/range", "the date_spine macro or dim_dates"),
    (r"\b(list|array)_[a-z_]+\s*\(|\bunnest\s*\(|\bstruct_[a-z_]+\s*\(", "list/struct functions", "joins and aggregates"),
    (r"\b(arg_max|arg_min|max_by|min_by|any_value|count_if)\s*\(", "arg_max/max_by/any_value/count_if",
     "a row_number() CTE, or sum(case when ... then 1 else 0 end)"),
    (r"\bmedian\s*\(", "median()", "a dispatched median macro (percentile_cont on DuckDB/PostgreSQL, percentile on Spark)"),
    (r"\b(date_diff|datediff|date_add|date_sub|dateadd|date_trunc|strftime|strptime|epoch_ms)\s*\(",
     "engine-specific date functions", "dbt.datediff / dbt.dateadd / dbt.date_trunc, or the calendar macros"),
    (r"\bifnull\s*\(|\bnvl\s*\(|\biff\s*\(", "ifnull/nvl/iff", "coalesce / case when"),
    (r"\bilike\b", "ILIKE", "lower(x) like '...'"),
    (r"//", "`//` integer division", "floor(a / b) or cast"),
]


def _strip(sql: str) -> str:
    """SQL without Jinja comments, Jinja expressions/statements and SQL comments (kept line by line)."""
    sql = re.sub(r"\{#.*?#\}", lambda match: "\n" * match.group(0).count("\n"), sql, flags=re.S)
    sql = re.sub(r"\{%.*?%\}|\{\{.*?\}\}", lambda match: "\n" * match.group(0).count("\n"), sql, flags=re.S)
    sql = re.sub(r"'(?:[^']|'')*'", "''", sql)  # string literals
    return "\n".join(line.split("--", 1)[0] for line in sql.splitlines())


def test_models_use_no_duckdb_only_syntax() -> None:
    problems = []
    for path in sorted((ROOT / "models").rglob("*.sql")):
        text = _strip(path.read_text())
        for number, line in enumerate(text.splitlines(), start=1):
            for pattern, what, instead in DUCKDB_ONLY:
                if re.search(pattern, line, flags=re.I):
                    problems.append(f"{path.relative_to(ROOT)}:{number}: {what} ({line.strip()[:80]}); use {instead}")
    assert not problems, "not portable to PostgreSQL/Spark:\n" + "\n".join(problems)


def _yaml_entries(key: str) -> list[tuple[Path, str]]:
    found = []
    for path in sorted((ROOT / "models").rglob("*.yml")):
        document = yaml.safe_load(path.read_text()) or {}
        for entry in document.get(key) or []:
            if isinstance(entry, dict) and "name" in entry:
                found.append((path, entry["name"]))
    return found


def test_model_and_unit_test_names_fit_postgres_identifiers() -> None:
    names = [(path, name) for path in sorted((ROOT / "models").rglob("*.sql")) for name in [path.stem]]
    names += _yaml_entries("unit_tests")
    too_long = [f"{path.relative_to(ROOT)}: {name} ({len(name)} characters)" for path, name in names
                if len(name) > POSTGRES_MAX_IDENTIFIER]
    assert not too_long, (f"names longer than PostgreSQL's {POSTGRES_MAX_IDENTIFIER}-character identifiers "
                          "(a unit test's name becomes a relation name):\n" + "\n".join(too_long))


def test_portability_check_catches_duckdb_syntax() -> None:
    """The scanner itself: it flags DuckDB-only SQL and ignores comments, Jinja and literals."""
    flagged = _strip("select x::int, -- qualify in a comment\n  '::' as literal {# range( #} from t qualify 1")
    hits = [what for pattern, what, _ in DUCKDB_ONLY for line in flagged.splitlines() if re.search(pattern, line, re.I)]
    assert hits == ["`::` casts", "QUALIFY"]
