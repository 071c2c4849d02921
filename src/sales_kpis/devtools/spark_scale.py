"""Spark at a real size: the whole project on a local Spark session, every mart compared with DuckDB's.

Not in CI (CI builds 1,000 leads on Spark; this takes tens of minutes at 1M).
With the engines virtualenv (``make engines``)::

    .venv-engines/bin/python -m sales_kpis.devtools.spark_scale --leads 1000000

runs the Spark equality test of tests/test_engines.py on generated data of
``--leads`` leads (seed 7, as of 2026-10-31): the raw files registered as
external tables (sales_kpis.engines.load_spark), the full ``dbt build`` on
Spark (models and every data test), a DuckDB build of the same data, and
every marts-layer table of the two compared row for row. One child process,
measured from start to exit; the memory is that of the whole process tree
(pytest, dbt and the Spark JVM together), sampled every half second. The
Spark session's size comes from SALES_KPIS_SPARK_DRIVER_MEMORY and
SALES_KPIS_SPARK_SHUFFLE_PARTITIONS (sales_kpis.engines.spark_environment,
profiles.yml); ``--driver-memory`` and ``--shuffle-partitions`` set them.
Writes <out>/spark-<leads>.md and .json; the report of a run is kept in
docs/benchmarks/.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sales_kpis.devtools.bench import _environment_facts, _physical_memory_bytes, timed_process
from sales_kpis.project import project_dir

EQUALITY_TEST = "tests/test_engines.py::test_spark_marts_equal_duckdb"


def run(leads: int, out_dir: Path, driver_memory: str, shuffle_partitions: int, data_tests: bool = True) -> dict:
    out_dir = Path(out_dir).resolve()
    scratch = out_dir / f"spark-{leads}"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    env = dict(os.environ, DO_NOT_TRACK="1", SALES_KPIS_TEST_ENGINES="1", SALES_KPIS_TEST_LEADS=str(leads),
               SALES_KPIS_ENGINES_SCRATCH=str(scratch), SALES_KPIS_SPARK_DATA_TESTS="1" if data_tests else "0",
               SALES_KPIS_SPARK_DRIVER_MEMORY=driver_memory, SALES_KPIS_SPARK_SHUFFLE_PARTITIONS=str(shuffle_partitions))
    args = [sys.executable, "-m", "pytest", EQUALITY_TEST, "-q", "-rs", "-p", "no:cacheprovider",
            "--basetemp", str(scratch / "pytest")]
    process = timed_process(args, scratch / "pytest.log", env=env, cwd=project_dir(), track_tree=True)
    log = process.log_path.read_text(errors="replace")
    recorded = scratch / "engine-build-times.json"
    builds = json.loads(recorded.read_text()) if recorded.is_file() else {}
    physical = _physical_memory_bytes()
    return {
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "leads": leads, "driver_memory": driver_memory, "shuffle_partitions": shuffle_partitions,
        "data_tests": data_tests, "command": " ".join(args),
        # tests/test_engines.py records equal_to_duckdb once every table compared equal
        "passed": process.returncode == 0 and builds.get("spark", {}).get("equal_to_duckdb") is True,
        "returncode": process.returncode,
        "wall_seconds": round(process.wall_seconds, 1), "cpu_seconds": round(process.cpu_seconds, 1),
        "peak_tree_gib": round((process.peak_tree_bytes or 0) / 2**30, 2),
        "peak_single_process_gib": round(process.max_rss_bytes / 2**30, 2),
        "machine_memory_gib": round(physical / 2**30, 1) if physical else None,
        "load_average_before": [round(value, 2) for value in process.load_before],
        "load_average_after": [round(value, 2) for value in process.load_after],
        "builds": builds, "log_tail": log.splitlines()[-15:], "environment": _environment_facts(),
    }


def render(report: dict[str, Any]) -> str:
    spark, duckdb = report["builds"].get("spark", {}), report["builds"].get("duckdb", {})
    load = f"{report['load_average_before'][0]:.2f} / {report['load_average_after'][0]:.2f}"
    lines = [
        f"# Spark at {report['leads']:,} leads", "",
        f"{report['created_at']} · commit {report['environment'].get('git_commit', '?')} · "
        f"{report['environment'].get('cores')} cores, {report['machine_memory_gib']} GiB · "
        f"Spark driver memory {report['driver_memory']}, shuffle partitions {report['shuffle_partitions']}", "",
        "| measure | value |", "|---|---:|",
        f"| result | {'every mart equal to DuckDB' if report['passed'] else 'FAILED'} |",
        f"| **Spark: full `dbt build`** ({spark.get('nodes', '?')} nodes"
        f"{', data tests included' if report['data_tests'] else ', without data tests'}) | "
        f"**{spark.get('seconds', '?')} s** |",
        f"| DuckDB reference build of the same data | {duckdb.get('seconds', '?')} s |",
        f"| marts-layer tables compared (kpi_ marts among them) | {spark.get('marts_compared', '?')} "
        f"({spark.get('kpi_marts_compared', '?')}) |",
        f"| rows compared (in the kpi_ marts) | {spark.get('rows_compared', 0):,} ({spark.get('kpi_rows_compared', 0):,}) |",
        f"| whole run: load, Spark build, DuckDB build, comparison (wall) | {report['wall_seconds']} s |",
        f"| **peak memory of the process tree** (Python, dbt and the Spark JVM together) | "
        f"**{report['peak_tree_gib']} GiB** |",
        f"| largest single process reaped (wait4; the JVM is not) | {report['peak_single_process_gib']} GiB |",
        f"| load average (1 min) before / after | {load} |", "",
        f"Command: `{report['command']}`", "",
    ]
    if not report["passed"]:
        lines += ["Last lines of the test's output:", "", "```", *report["log_tail"], "```", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=project_dir() / "bench" / "results")
    parser.add_argument("--driver-memory", default="4g", help="the Spark driver's heap (default 4g)")
    parser.add_argument("--shuffle-partitions", type=int, default=4, help="spark.sql.shuffle.partitions (default 4)")
    parser.add_argument("--without-data-tests", action="store_true", help="models only on Spark (quicker)")
    args = parser.parse_args(argv)
    report = run(args.leads, args.out, args.driver_memory, args.shuffle_partitions, not args.without_data_tests)
    stem = Path(args.out).resolve() / f"spark-{args.leads}"
    stem.with_suffix(".json").write_text(json.dumps(report, indent=2, default=str))
    stem.with_suffix(".md").write_text(render(report))
    print(stem.with_suffix(".md").read_text())
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
