"""Shared pytest fixtures and helpers.

dbt is slow to start (~5-10 s per invocation), so the generated sample data
and the warehouse built from it are session fixtures: every test that only
reads them shares one `generate()` and one `dbt build`. Tests that need other
data copy `generated_raw_dir` (never modify it in place) and call
:func:`run_build` once per scenario.

Reading a warehouse: :func:`connect` is the runner's own reader
(:func:`sales_kpis.warehouse.read_only`): read-only, or the read-write handle
this process already holds when dbt-duckdb still has the file open.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("DO_NOT_TRACK", "1")
# Under pytest-xdist (make pytest: `-n 2 --dist loadfile`) each worker is its
# own process: dbt's log file goes to a per-worker directory, so two workers
# never append to (or rotate) one logs/dbt.log.
if os.environ.get("PYTEST_XDIST_WORKER") and "DBT_LOG_PATH" not in os.environ:
    os.environ["DBT_LOG_PATH"] = str(Path(__file__).resolve().parent.parent / "build" / "pytest-logs"
                                     / os.environ["PYTEST_XDIST_WORKER"])

from sales_kpis.dbt_runner import DbtOptions, DbtRun, run_dbt  # noqa: E402
from sales_kpis.warehouse import read_only as connect  # noqa: E402
from sales_kpis.warehouse import read_write  # noqa: E402

#: The as-of date of every test build (the generator's default end date).
AS_OF = "2026-10-31"
#: Seed of the session's generated data.
SEED = 7
#: The mid-month build of the same company (mid_month_warehouse): an as-of
#: date inside a month, fiscal years from July, CSV input.
MID_MONTH_AS_OF = "2025-03-15"
MID_MONTH_FISCAL_START = 7


def session_leads() -> int:
    """Leads in the session's generated data (env SALES_KPIS_TEST_LEADS, default 3000)."""
    return int(os.environ.get("SALES_KPIS_TEST_LEADS", "3000"))


# --------------------------------------------------------------------------- reading a warehouse


def query(database: Path | str, sql: str, parameters: Iterable[Any] | None = None) -> list[tuple]:
    """Rows of a query against a built DuckDB warehouse."""
    with connect(database) as connection:
        return connection.execute(sql, list(parameters) if parameters is not None else None).fetchall()


def query_df(database: Path | str, sql: str, parameters: Iterable[Any] | None = None):
    """A query against a built DuckDB warehouse as a pandas DataFrame."""
    with connect(database) as connection:
        return connection.execute(sql, list(parameters) if parameters is not None else None).df()


def relations(database: Path | str) -> dict[str, str]:
    """{relation name: 'schema.name'} of every table and view in the warehouse."""
    rows = query(database, "select table_schema, table_name from information_schema.tables")
    return {name: f"{schema}.{name}" for schema, name in rows}


def relation(database: Path | str, name: str) -> str:
    """The schema-qualified name of a model, seed or raw view (models land in per-folder schemas)."""
    found = relations(database)
    if name not in found:
        raise AssertionError(f"no relation {name!r} in {database}; have: {', '.join(sorted(found))}")
    return found[name]


# --------------------------------------------------------------------------- project macros without dbt


class _Returned(Exception):
    def __init__(self, value: Any):
        self.value = value


def _dbt_return(value: Any) -> None:
    raise _Returned(value)


@contextmanager
def rendered_macros(paths: Iterable[Path], context: dict[str, Any]) -> Iterator[Any]:
    """The project macros of `paths` rendered with plain Jinja (a module whose attributes are the macros),
    dbt's `return()` handing back the value as dbt's macro calls do; `context` adds dbt's globals."""
    import jinja2

    invoke = jinja2.runtime.Macro._invoke

    def returning(self, arguments, autoescape):
        try:
            return invoke(self, arguments, autoescape)
        except _Returned as returned:
            return returned.value

    environment = jinja2.Environment(extensions=["jinja2.ext.do"])
    module = environment.from_string("\n".join(Path(path).read_text() for path in paths)).make_module(
        {"return": _dbt_return, **context})
    jinja2.runtime.Macro._invoke = returning
    try:
        yield module
    finally:
        jinja2.runtime.Macro._invoke = invoke


# --------------------------------------------------------------------------- the manifest's tests


def disabled_nodes(manifest: dict) -> list[dict]:
    """The manifest's disabled nodes (the not_null tests decision 0014 leaves to Spark among them)."""
    return [node for versions in manifest.get("disabled", {}).values() for node in versions]


def attached_tests(manifest: dict, model_id: str, enabled_only: bool = True) -> list[dict]:
    """The generic and singular test nodes on a model (its own tests, by attached_node or depends_on)."""
    nodes = list(manifest["nodes"].values()) + ([] if enabled_only else disabled_nodes(manifest))
    return [node for node in nodes if node.get("resource_type") == "test"
            and (node.get("attached_node") == model_id or model_id in node.get("depends_on", {}).get("nodes", []))]


def _contract_structural_not_null(table: str) -> list[str]:
    """The columns model_rules holds not null on a raw contract table's staging model (contract_table)."""
    from sales_kpis import contract

    return [rule.column for rule in contract.TABLES[table].rules
            if rule.problem in ("null_key", "null_required") and rule.severity == contract.STRUCTURAL]


def unique_keys(manifest: dict, model_id: str, severity: str | None = "error") -> list[list[str]]:
    """Every key a test holds unique on a model: model_rules' unique_key (decision 0015; on a
    staging model of a raw contract table, by default the contract's primary key) and dbt's
    unique. severity None: any severity."""
    from sales_kpis import contract

    keys = []
    for test in attached_tests(manifest, model_id):
        if severity is not None and test["config"]["severity"].lower() != severity:
            continue
        metadata = test.get("test_metadata") or {}
        kwargs = metadata.get("kwargs", {})
        if metadata.get("name") == "model_rules" and (kwargs.get("unique_key") or kwargs.get("contract_table")):
            key = kwargs.get("unique_key") or contract.TABLES[kwargs["contract_table"]].primary_key
            keys.append([key] if isinstance(key, str) else list(key))
        elif metadata.get("name") == "unique" and test.get("column_name"):
            keys.append([test["column_name"]])
    return keys


def not_null_checks(nodes: Iterable[dict]) -> Iterator[tuple[dict, str]]:
    """(test node, column) for every column a test among nodes checks for nulls:
    dbt's not_null, and the not_null columns of model_rules (decision 0015), with the
    contract's required columns on a raw contract table's staging model."""
    for node in nodes:
        metadata = node.get("test_metadata") or {}
        if node.get("resource_type") != "test":
            continue
        if metadata.get("name") == "not_null" and node.get("column_name"):
            yield node, node["column_name"]
        elif metadata.get("name") == "model_rules":
            kwargs = metadata.get("kwargs", {})
            contract_columns = _contract_structural_not_null(kwargs["contract_table"]) if kwargs.get("contract_table") else []
            for column in contract_columns + [c for c in kwargs.get("not_null") or [] if c not in contract_columns]:
                yield node, column


def not_null_tested(manifest: dict, model_id: str, enabled_only: bool = True) -> set[str]:
    """Columns of a model that a test (not_null, or model_rules' not_null) checks for nulls."""
    return {column for _, column in not_null_checks(attached_tests(manifest, model_id, enabled_only=enabled_only))}


# --------------------------------------------------------------------------- building


def describe_run(run: DbtRun) -> str:
    """A failing run in words: the exception and every failed node with its message."""
    lines = [f"dbt {run.command} failed after {run.elapsed:.1f} s"]
    if run.exception:
        lines.append(f"exception: {run.exception}")
    for node in run.failures:
        lines.append(f"{node.status} {node.resource_type} {node.name}: {node.message}")
    if len(lines) == 1:
        lines.append("(no failed node and no exception reported)")
    return "\n".join(lines)


def build_ok(run: DbtRun) -> bool:
    return run.success and run.exception is None and not run.failures


def run_build(raw_dir: Path, workdir: Path, as_of: str = AS_OF, **options: Any) -> DbtRun:
    """`dbt build` of raw_dir into workdir/wh.duckdb (manifest in workdir/target); quiet."""
    workdir.mkdir(parents=True, exist_ok=True)
    dbt_options = DbtOptions(raw_dir=raw_dir, database=workdir / "wh.duckdb", as_of=as_of,
                             target_path=workdir / "target", **options)
    # a partial build (select) runs with --indirect-selection cautious (dbt_args)
    return run_dbt("build", dbt_options, extra_args=["--log-level", "none"])


def copy_warehouse(source: Path, destination: Path) -> Path:
    """A copy of a DuckDB warehouse file, with its write-ahead log folded in first.

    dbt-duckdb may still hold the warehouse open in this process with its last
    writes in the WAL; copying the file alone would lose them.
    """
    with read_write(source) as connection:
        connection.execute("checkpoint")
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, destination)
    return destination


def copy_raw(raw_dir: Path, destination: Path, exclude: Iterable[str] = ()) -> Path:
    """A copy of a raw-data directory without the tables in exclude (names without extension)."""
    skip = set(exclude)
    destination.mkdir(parents=True, exist_ok=True)
    for path in raw_dir.iterdir():
        if path.is_file() and path.name.split(".")[0] not in skip:
            shutil.copy2(path, destination / path.name)
    return destination


@dataclass
class BuiltWarehouse:
    """The session's warehouse: built once from `generated_raw_dir` as of AS_OF."""

    database: Path
    raw_dir: Path
    run: DbtRun
    target_path: Path
    as_of: str = AS_OF
    fiscal_year_start_month: int = 1
    _relations: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def manifest_path(self) -> Path:
        return self.target_path / "manifest.json"

    def relation(self, name: str) -> str:
        if not self._relations:
            self._relations.update(relations(self.database))
        if name not in self._relations:
            raise AssertionError(f"no relation {name!r} in the warehouse; have: {', '.join(sorted(self._relations))}")
        return self._relations[name]

    def query(self, sql: str, parameters: Iterable[Any] | None = None) -> list[tuple]:
        return query(self.database, sql, parameters)

    def df(self, sql: str, parameters: Iterable[Any] | None = None):
        return query_df(self.database, sql, parameters)

    def scalar(self, sql: str, parameters: Iterable[Any] | None = None) -> Any:
        return self.query(sql, parameters)[0][0]


# --------------------------------------------------------------------------- session fixtures


@pytest.fixture(scope="session")
def generated_raw_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Sample data (seed 7, SALES_KPIS_TEST_LEADS leads, parquet) generated once per session. Read-only: copy to modify."""
    from sales_kpis.generate import generate

    out = tmp_path_factory.mktemp("generated") / "raw"
    generate(out, seed=SEED, leads=session_leads())
    return out


@pytest.fixture(scope="session")
def built_warehouse(generated_raw_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> BuiltWarehouse:
    """The project built once per session from `generated_raw_dir` as of AS_OF; asserts the build passed."""
    workdir = tmp_path_factory.mktemp("warehouse")
    run = run_build(generated_raw_dir, workdir)
    assert build_ok(run), describe_run(run)
    return BuiltWarehouse(database=workdir / "wh.duckdb", raw_dir=generated_raw_dir, run=run,
                          target_path=workdir / "target")


def undate_open_deals(raw_dir: Path, as_of: str) -> list[str]:
    """Every other deal open at the as-of date, exported as a CRM would have shown it that day without an
    expected close date (HubSpot's habit): its stage the open one it was in, its close date blank. In a CSV
    raw-data directory; returns their ids."""
    import pandas as pd

    from sales_kpis import contract

    open_stages = {stage[0] for stage in contract.DEFAULT_STAGES if not stage[2]}
    cutoff = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    path = raw_dir / "opportunities.csv"
    deals = pd.read_csv(path, dtype=str, keep_default_na=False)
    history = pd.read_csv(raw_dir / "opportunity_stage_history.csv", dtype=str, keep_default_na=False)
    history = history[pd.to_datetime(history["entered_at"]) < cutoff].assign(at=lambda h: pd.to_datetime(h["entered_at"]))
    stage_then = history.sort_values(["at", "stage_name"]).groupby("opportunity_id")["stage_name"].last()
    open_then = deals[(pd.to_datetime(deals["created_at"]) < cutoff)
                      & (pd.to_datetime(deals["close_date"]) > pd.Timestamp(as_of))
                      & deals["opportunity_id"].map(stage_then).isin(open_stages)]
    chosen = sorted(open_then["opportunity_id"])[::2]
    rows = deals["opportunity_id"].isin(chosen)
    deals.loc[rows, "stage_name"] = deals.loc[rows, "opportunity_id"].map(stage_then)
    deals.loc[rows, "close_date"] = ""
    deals.to_csv(path, index=False)
    return chosen


@pytest.fixture(scope="session")
def mid_month_warehouse(tmp_path_factory: pytest.TempPathFactory) -> BuiltWarehouse:
    """The session's company (same seed and size) as CSV files, every other deal open at the as-of date
    without an expected close date (undate_open_deals), built as of MID_MONTH_AS_OF with fiscal years from
    MID_MONTH_FISCAL_START: the as-of month is measured to date. Models and data tests only."""
    from sales_kpis.generate import generate

    raw_dir = tmp_path_factory.mktemp("generated-csv") / "raw"
    generate(raw_dir, seed=SEED, leads=session_leads(), fmt="csv")
    assert undate_open_deals(raw_dir, MID_MONTH_AS_OF), "the generated data has deals open at the as-of date"
    workdir = tmp_path_factory.mktemp("warehouse-mid-month")
    run = run_build(raw_dir, workdir, as_of=MID_MONTH_AS_OF, unit_tests=False,
                    variables={"fiscal_year_start_month": MID_MONTH_FISCAL_START})
    assert build_ok(run), describe_run(run)
    return BuiltWarehouse(database=workdir / "wh.duckdb", raw_dir=raw_dir, run=run, target_path=workdir / "target",
                          as_of=MID_MONTH_AS_OF, fiscal_year_start_month=MID_MONTH_FISCAL_START)
