"""Runs dbt in-process (dbt's Python API) with the project's settings.

The CLI and the tests call :func:`run_dbt`; it returns a :class:`DbtRun` with
one :class:`NodeResult` per node, so callers can summarise, fail and name the
failing nodes without parsing dbt's log.

Where the run's settings travel: the as-of date, the raw-data directory and
the DuckDB file dbt builds into go as environment variables
(``SALES_KPIS_AS_OF_DATE``, ``SALES_KPIS_RAW_DIR``,
``SALES_KPIS_DBT_DUCKDB_PATH``), never as ``--vars``: dbt re-parses the whole
project when a ``--vars`` value changes, and reads these only when it runs.
Only the vars a user gives (``--var``) go as ``--vars``. So two builds that
differ only by date, raw data or file keep dbt's partial parsing, and a
direct ``dbt build`` that sets the same environment variables (the README's
way) parses as the runner does (docs/decisions/0027-one-parse-state.md).
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sales_kpis.project import project_dir

FAILED_STATUSES = {"error", "fail", "runtime error"}


@dataclass
class DbtOptions:
    """Everything a dbt invocation of this project can be told."""

    raw_dir: Path | None = None
    database: Path | None = None
    target: str = "duckdb"
    as_of: str | None = None
    variables: dict[str, Any] = field(default_factory=dict)
    select: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    threads: int | None = None
    full_refresh: bool = False
    target_path: Path | None = None
    # dbt's unit tests check the SQL logic on static inputs: they belong in
    # development and CI, not in every production build (dbt Labs' advice;
    # they cost ~20 s per build whatever the data). The `sales-kpis build`
    # command excludes them unless asked; `make test-build` runs them.
    unit_tests: bool = True

    def dbt_vars(self) -> dict[str, Any]:
        """The vars passed as --vars: only those the user gave (the rest travel as environment variables)."""
        return dict(self.variables)

    def environment(self) -> dict[str, str]:
        env = {"DO_NOT_TRACK": "1", "SALES_KPIS_TARGET": self.target}
        if self.as_of:
            # An env var, not a dbt var: dbt re-parses the whole project when a
            # --vars value changes, only the files that read an env var when
            # it changes (macros/calendar/as_of_date.sql). A var as_of_date in
            # `variables` still wins.
            env["SALES_KPIS_AS_OF_DATE"] = self.as_of
        if self.raw_dir is not None:
            env["SALES_KPIS_RAW_DIR"] = str(Path(self.raw_dir).resolve())
        if self.database is not None:
            # The file the duckdb target of profiles.yml builds into (a direct
            # `dbt build` builds into warehouse/dev.duckdb).
            env["SALES_KPIS_DBT_DUCKDB_PATH"] = str(Path(self.database).resolve())
        return env


@dataclass
class NodeResult:
    unique_id: str
    name: str
    resource_type: str
    status: str
    execution_time: float
    message: str | None
    failures: int | None
    compiled_code: str | None = None

    @property
    def failed(self) -> bool:
        return self.status in FAILED_STATUSES


@dataclass
class DbtRun:
    command: str
    success: bool
    results: list[NodeResult]
    elapsed: float
    exception: str | None = None

    @property
    def failures(self) -> list[NodeResult]:
        return [result for result in self.results if result.failed]

    @property
    def warnings(self) -> list[NodeResult]:
        return [result for result in self.results if result.status == "warn"]

    def counts(self) -> dict[str, Counter]:
        """{resource_type: Counter(status)}."""
        table: dict[str, Counter] = {}
        for result in self.results:
            table.setdefault(result.resource_type, Counter())[result.status] += 1
        return table


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def dbt_args(command: str, options: DbtOptions) -> list[str]:
    project = str(project_dir())
    args = [command, "--project-dir", project, "--profiles-dir", project, "--target", options.target]
    dbt_vars = options.dbt_vars()
    if dbt_vars and command not in {"clean", "deps"}:
        args += ["--vars", json.dumps(dbt_vars)]
    for selector in options.select:
        args += ["--select", selector]
    if options.select and command in {"build", "test"}:
        # A partial build runs only the tests whose parents are all selected:
        # a relationship test reaching an unselected (unbuilt) model would
        # fail for a reason that is not the data's.
        args += ["--indirect-selection", "cautious"]
    for selector in options.exclude:
        args += ["--exclude", selector]
    if options.threads:
        args += ["--threads", str(options.threads)]
    if options.full_refresh:
        args.append("--full-refresh")
    if not options.unit_tests and command in {"build", "test"}:
        args += ["--exclude-resource-type", "unit_test"]
    if options.target_path:
        args += ["--target-path", str(options.target_path)]
    return args


#: on_event(kind, name, total): kind "total" (the nodes the run will execute, in
#: total), "start" or "finish" (a node, by name).
EventCallback = Callable[[str, str, "int | None"], None]


def dbt_callback(on_event: EventCallback) -> Callable[[Any], None]:
    """A dbtRunner callback turning dbt's events into on_event calls."""

    def _callback(event: Any) -> None:
        name = event.info.name
        if name == "ConcurrencyLine":
            on_event("total", "", int(event.data.node_count))
        elif name == "NodeStart":
            on_event("start", event.data.node_info.node_name, None)
        elif name == "NodeFinished":
            on_event("finish", event.data.node_info.node_name, None)

    return _callback


#: The dbt adapter package of each target of profiles.yml.
ADAPTER_PACKAGES = {"duckdb": "dbt-duckdb", "postgres": "dbt-postgres", "spark": "dbt-spark[session]"}


def missing_adapter(target: str) -> str | None:
    """What to install when the dbt adapter of a profiles.yml target is absent (None when it is there)."""
    import importlib.util

    if importlib.util.find_spec(f"dbt.adapters.{target}") is not None:
        return None
    package = ADAPTER_PACKAGES.get(target, f"dbt-{target}")
    # The pinned version, from the engines' requirements (one place for the pins).
    requirements = project_dir() / "requirements-engines.txt"
    lines = requirements.read_text(encoding="utf-8").splitlines() if requirements.is_file() else []
    pinned = next((line.strip() for line in lines if line.split("==")[0].strip() == package), package)
    return (f"the {target} target needs the dbt adapter {package}, which is not installed here: "
            f"pip install '{pinned}' (into this virtualenv; dbt-core stays at its pin), "
            "or `make engines` for a virtualenv with every engine")


def run_dbt(
    command: str,
    options: DbtOptions,
    on_event: EventCallback | None = None,
    extra_args: list[str] | None = None,
) -> DbtRun:
    """Invoke `dbt <command>` in-process; on_event(kind, name, total) follows the nodes (see EventCallback)."""
    from dbt.cli.main import dbtRunner  # slow import (~4 s): only when dbt is needed

    callbacks = [dbt_callback(on_event)] if on_event is not None else []

    if options.database is not None:
        Path(options.database).resolve().parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with _environment(options.environment()):
        outcome = dbtRunner(callbacks=callbacks).invoke(dbt_args(command, options) + list(extra_args or []))
    elapsed = time.perf_counter() - started

    results: list[NodeResult] = []
    raw_results = getattr(outcome.result, "results", None) or []
    for result in raw_results:
        node = result.node
        results.append(
            NodeResult(
                unique_id=node.unique_id,
                name=node.name,
                resource_type=str(node.resource_type),
                status=str(result.status),
                execution_time=float(result.execution_time or 0.0),
                message=result.message,
                failures=result.failures,
                compiled_code=getattr(node, "compiled_code", None),
            )
        )
    exception = None
    if outcome.exception is not None:
        exception = str(outcome.exception)
    return DbtRun(command=command, success=bool(outcome.success), results=results, elapsed=elapsed, exception=exception)


def failing_rows(database: Path, compiled_sql: str, limit: int = 5) -> list[dict[str, Any]]:
    """A few rows a failing DuckDB test returned, to show which records failed."""
    from sales_kpis.warehouse import read_only

    with read_only(database) as connection:
        cursor = connection.execute(f"select * from ({compiled_sql}) as failing limit {int(limit)}")
        columns = [column[0] for column in cursor.description]
        return [dict(zip(columns, row)) for row in cursor.fetchall()]


def describe_failing_row(row: dict) -> str:
    """A row a failing test returned, in words: model_rules' rows name the rule, how many rows break it and a key; a dq_ row its table, key and problem."""
    if {"rule", "checks", "failing_rows", "checked_rows", "example_key"} <= row.keys():
        def count(value: object) -> str:
            return f"{value:,}" if isinstance(value, int) else str(value)

        key = f", e.g. key {row['example_key']}" if row.get("example_key") not in (None, "") else ""
        return f"{row['rule']} ({row['checks']}): {count(row['failing_rows'])} of {count(row['checked_rows'])} rows{key}"
    if {"table_name", "record_key", "problem"} <= row.keys():  # a dq_ table's row says what is wrong in words
        return f"{row['table_name']} {row['record_key']}: {row['problem']}"
    return ", ".join(f"{name}={value}" for name, value in row.items())
