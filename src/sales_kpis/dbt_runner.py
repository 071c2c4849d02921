"""Runs dbt in-process (dbt's Python API) with the project's settings.

The CLI and the tests call :func:`run_dbt`; it returns a :class:`DbtRun` with
one :class:`NodeResult` per node, so callers can summarise, fail and name the
failing nodes without parsing dbt's log.
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
        values = dict(self.variables)
        if self.raw_dir is not None:
            values["raw_dir"] = str(Path(self.raw_dir).resolve())
        return values

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
            env["SALES_KPIS_DUCKDB_PATH"] = str(Path(self.database).resolve())
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


def run_dbt(
    command: str,
    options: DbtOptions,
    on_node_finished: Callable[[str, str], None] | None = None,
    extra_args: list[str] | None = None,
) -> DbtRun:
    """Invoke `dbt <command>` in-process; on_node_finished(name, status) is called as nodes finish."""
    from dbt.cli.main import dbtRunner  # slow import (~4 s): only when dbt is needed

    callbacks = []
    if on_node_finished is not None:

        def _callback(event: Any) -> None:
            if event.info.name == "NodeFinished":
                node = event.data.node_info
                on_node_finished(node.node_name, node.node_status)

        callbacks.append(_callback)

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
