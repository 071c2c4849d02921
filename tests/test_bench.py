"""The benchmark's measuring parts (src/sales_kpis/devtools/bench.py), without running dbt."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sales_kpis.devtools import bench


def test_busy_span_merges_overlapping_intervals() -> None:
    assert bench._busy_span([]) == 0.0
    assert bench._busy_span([(0.0, 2.0), (1.0, 3.0), (5.0, 6.0)]) == pytest.approx(4.0)
    assert bench._busy_span([(5.0, 6.0), (0.0, 1.0), (0.5, 0.7)]) == pytest.approx(2.0)


def test_node_names_are_readable() -> None:
    assert bench.node_name("model.sales_kpis.fct_opportunities") == "fct_opportunities"
    assert bench.node_name("test.sales_kpis.unique_stg_crm__leads_lead_id.8a8d5c9c20") == "unique_stg_crm__leads_lead_id"
    assert bench.node_name("unit_test.sales_kpis.dim_dates.fiscal_feb") == "dim_dates: fiscal_feb"
    assert bench.resource_kind("operation.sales_kpis.sales_kpis-on-run-start-0") == "hook"


def _result(unique_id: str, seconds: float, start: str, end: str, status: str = "success") -> dict:
    return {"unique_id": unique_id, "execution_time": seconds, "status": status,
            "timing": [{"name": "execute", "started_at": start, "completed_at": end}]}


def test_run_results_are_split_by_kind(tmp_path: Path) -> None:
    results = {
        "elapsed_time": 10.0,
        "results": [
            _result("model.p.a", 2.0, "2026-01-01T00:00:00Z", "2026-01-01T00:00:02Z"),
            _result("model.p.b", 3.0, "2026-01-01T00:00:01Z", "2026-01-01T00:00:04Z"),
            _result("test.p.not_null_a_x.abc", 1.0, "2026-01-01T00:00:04Z", "2026-01-01T00:00:05Z", "fail"),
            _result("unit_test.p.a.rule", 0.5, "2026-01-01T00:00:05Z", "2026-01-01T00:00:05.5Z", "pass"),
        ],
    }
    path = tmp_path / "run_results.json"
    path.write_text(json.dumps(results))
    summary = bench.summarise_run_results(path)
    assert summary["elapsed_seconds"] == 10.0
    assert summary["by_kind"]["model"]["count"] == 2
    assert summary["by_kind"]["model"]["seconds"] == pytest.approx(5.0)
    assert summary["by_kind"]["model"]["busy_wall_seconds"] == pytest.approx(4.0)  # 0..4, overlapping
    assert [node["name"] for node in summary["top_models"]] == ["b", "a"]
    assert [node["name"] for node in summary["failed"]] == ["not_null_a_x"]
    assert summary["by_kind"]["unit_test"]["statuses"] == {"pass": 1}


def test_floor_reads_every_column_of_every_file(tmp_path: Path) -> None:
    table = pa.table({"lead_id": ["L1", "L2", None], "created_at": pa.array([1, 2, 3], pa.timestamp("us")),
                      "amount": [1.5, None, 2.0]})
    pq.write_table(table, tmp_path / "leads.parquet")
    (tmp_path / "users.csv").write_text("user_id,role\nU1,sdr\n")
    import duckdb

    with duckdb.connect() as connection:
        sql = bench.floor_query(connection, tmp_path / "leads.parquet")
        assert '"lead_id", "created_at", "amount"' in sql
        assert connection.execute(sql).fetchone()[0] == 3
    floor = bench.measure_floor(tmp_path, threads=1, memory_limit="1GB", repeats=2)
    assert floor["seconds"] > 0 and len(floor["all_seconds"]) == 2 and floor["duckdb_threads"] == 1
    sizes = {item["table"]: item["rows"] for item in bench.raw_sizes(tmp_path)}
    assert sizes == {"leads": 3, "users": 1}


def test_profiles_copy_carries_the_duckdb_settings(tmp_path: Path) -> None:
    import yaml

    profiles_dir = bench.write_profiles(bench.project_dir(), tmp_path, threads=3, memory_limit="2GB")
    settings = yaml.safe_load((profiles_dir / "profiles.yml").read_text())["sales_kpis"]["outputs"]["duckdb"]["settings"]
    assert settings["threads"] == 3 and settings["memory_limit"] == "2GB"


def test_cached_data_is_reused(tmp_path: Path) -> None:
    cached = bench.cache_path(tmp_path, 1, 10)
    cached.mkdir(parents=True)
    (cached / bench.CACHE_MARKER).write_text("{}")
    said = []
    assert bench.ensure_data(tmp_path, 1, 10, said.append) == (cached, None)
    assert "cached" in said[0]


def test_report_renders_the_headline_figures() -> None:
    report = {
        "run": "S-seed42-leads10000", "created_at": "2026-11-27T00:00:00+00:00",
        "options": {"leads": 10_000, "memory_limit": None, "dbt_threads": None},
        "environment": {"cores": 2, "duckdb": "2.0.1"},
        "raw": {"bytes": 2048, "rows": 100, "tables": [{"table": "leads", "rows": 100, "bytes": 2048}]},
        "floor": {"seconds": 0.5, "cpu_seconds": 0.8, "all_seconds": [0.5], "duckdb_threads": 2, "method": "m"},
        "build": {"success": True, "returncode": 0, "wall_seconds": 40.0, "cpu_seconds": 30.0,
                  "load_average_before": [1.0, 1, 1], "load_average_after": [1.0, 1, 1], "peak_rss_gib": 0.5,
                  "startup_seconds": 10.0, "command": "dbt build"},
        "results": {"elapsed_seconds": 30.0, "by_kind": {"model": {"count": 1, "seconds": 5.0, "busy_wall_seconds": 5.0}},
                    "top_models": [{"name": "fct_opportunities", "seconds": 5.0, "status": "success"}],
                    "top_tests": [], "failed": []},
        "ratios": {"build_wall_over_floor": 80.0, "model_seconds_over_floor": 10.0, "build_cpu_over_floor_cpu": 37.5},
        "tables": [{"relation": "main.fct_opportunities", "rows": 10}],
    }
    text = bench.render_markdown(report)
    for expected in ("**40.0 s**", "**0.50 GiB**", "**0.500 s**", "fct_opportunities", "| build wall ÷ floor | 80.0 |"):
        assert expected in text


def test_incremental_section_compares_each_fact_and_the_run_without_tests(tmp_path: Path) -> None:
    results = tmp_path / "run_results.json"
    results.write_text(json.dumps({"results": [
        {"unique_id": "model.sales_kpis.fct_leads", "execution_time": 2.5},
        {"unique_id": "model.sales_kpis.int_account_arr_monthly", "execution_time": 0.5},
        {"unique_id": "test.sales_kpis.model_rules_fct_leads.abc", "execution_time": 9.0},
    ]}))
    assert bench.model_times(results, ("int_account_arr_monthly", "fct_leads", "absent")) == {
        "int_account_arr_monthly": 0.5, "fct_leads": 2.5}
    entry = {
        "day_before": "2026-10-30", "first_build": {"wall_seconds": 90.0}, "wall_seconds": 30.0, "success": True,
        "model_seconds": 20.0, "test_seconds": 12.0, "test_busy_wall_seconds": 8.0, "startup_seconds": 6.0,
        "check_seconds": 1.5, "incremental_models": {"fct_leads": 2.5, "int_account_arr_monthly": 0.5},
        "incremental_models_full_build": {"fct_leads": 20.0, "int_account_arr_monthly": 10.0},
        "models_only": {"wall_seconds": 24.0, "returncode": 0, "startup_seconds": 5.5},
    }
    text = "\n".join(bench._incremental_markdown(entry, full_wall=100.0, full_models=80.0))
    for expected in ("| wall time of `dbt build` | 30.0 s | 100.0 s | 0.30 |",
                     "| incremental model fct_leads | 2.50 s | 20.00 s | 0.12 |",
                     "| incremental model int_account_arr_monthly | 0.50 s | 10.00 s | 0.05 |",
                     "| the 2 incremental models together | 3.0 s | 30.0 s | 0.10 |",
                     "| data tests: sum / busy wall span | 12.0 / 8.0 s | | |",
                     "| the runner's check of the raw data (before dbt) | 1.5 s | | |",
                     "(start-up 5.5 s) | 24.0 s | 100.0 s | 0.24 |"):
        assert expected in text, expected


def test_scales_reach_100_million_leads() -> None:
    assert bench.SCALES["XL"] == 100_000_000 == 10 * bench.SCALES["L"]
    assert bench.BenchOptions(leads=100_000_000, everyday=True, peer=True).run_name == \
        "XL-seed42-leads100000000-everyday-peer"


def test_a_child_process_is_measured_and_stopped_past_its_memory_limit(tmp_path: Path) -> None:
    import sys

    small = bench.timed_process([sys.executable, "-c", "print('hello')"], tmp_path / "small.log",
                                memory_limit_bytes=2**30)
    assert small.returncode == 0 and small.stopped_at_bytes is None
    assert small.max_rss_bytes > 2**20 and small.wall_seconds > 0 and len(small.load_before) == 3
    assert (tmp_path / "small.log").read_text().strip() == "hello"
    # holds 400 MiB for up to 30 s: stopped well before that once past 200 MiB
    big = bench.timed_process([sys.executable, "-c", "import time; block = bytearray(400 * 2**20); time.sleep(30)"],
                              tmp_path / "big.log", memory_limit_bytes=200 * 2**20)
    assert big.stopped_at_bytes is not None and big.stopped_at_bytes > 200 * 2**20
    assert big.returncode != 0 and big.wall_seconds < 20


def _process(wall: float, cpu: float, peak_gib: float, **extra) -> dict:
    return {"success": True, "returncode": 0, "wall_seconds": wall, "cpu_seconds": cpu,
            "peak_rss_bytes": int(peak_gib * 2**30), "peak_rss_gib": peak_gib,
            "load_average_before": [1.5, 1, 1], "load_average_after": [2.0, 1, 1], **extra}


def test_the_project_is_compared_with_its_peer() -> None:
    run_results = {"elapsed_seconds": 6.0, "failed": [], "top_models": [], "top_tests": [], "by_kind": {
        "model": {"count": 50, "seconds": 6.0, "busy_wall_seconds": 4.0},
        "test": {"count": 90, "seconds": 2.0, "busy_wall_seconds": 1.5},
        "hook": {"count": 1, "seconds": 0.5, "busy_wall_seconds": 0.5}}}
    report = {
        "build": _process(13.0, 20.0, 0.35, startup_seconds=7.0),
        "everyday": _process(10.0, 16.0, 0.35, startup_seconds=4.0),
        "peer": _process(20.0, 19.0, 1.4, steps={"read_and_prepare": 5.0}, rows={"kpi_retention": 174}),
        "results": run_results, "everyday_results": run_results,
    }
    report["project_and_peer"] = ratios = bench.project_and_peer_ratios(report)
    assert ratios == {"project_build": "everyday", "first_over_everyday_wall": 1.3, "project_over_peer_wall": 0.5,
                      "project_over_peer_cpu": 0.84, "project_over_peer_peak": 0.25}
    text = "\n".join(bench._project_and_peer_markdown(report))
    for expected in ("| project: everyday build (the same directory again: partial parse) | 10.0 s | 16.0 s | 0.35 GiB "
                     "| 1.50 / 2.00 | success |",
                     "| **project / peer, wall** (the everyday build) | **0.50** |",
                     "| first build / everyday build (wall) | 1.30 |",
                     "| dbt start-up (interpreter, imports, parse) | 7.0 s | 4.0 s |",
                     "| models: busy wall span (sum of execution times) | 4.0 s (6.0 s, 50 nodes) |",
                     "| read_and_prepare | 5.00 |"):
        assert expected in text, expected
    stopped = dict(report, peer=_process(30.0, 29.0, 11.9, success=False, returncode=-9, stopped_at_gib=11.8,
                                         memory_limit_gib=11.7))
    assert "project_over_peer_wall" not in bench.project_and_peer_ratios(stopped)
    assert "stopped at 11.8 GiB (limit 11.7 GiB)" in "\n".join(bench._project_and_peer_markdown(stopped))


def test_the_memory_of_a_process_tree_is_added_up(tmp_path: Path) -> None:
    import sys

    # a child and its own child hold 150 MiB each at the same time
    holder = "import time; block = bytearray(150 * 2**20); time.sleep(3)"
    parent = (f"import subprocess, sys, time; child = subprocess.Popen([sys.executable, '-c', {holder!r}]); "
              "block = bytearray(150 * 2**20); child.wait()")
    # measured from a fresh, small interpreter: a process's peak RSS (wait4) starts from its parent's size at
    # fork, so inside a large pytest worker the single-process figure would be the worker's, not the tree's
    measure = ("import json, sys; from pathlib import Path; from sales_kpis.devtools import bench; "
               f"run = bench.timed_process([sys.executable, '-c', {parent!r}], Path(sys.argv[1]), track_tree=True); "
               "print(json.dumps([run.returncode, run.peak_tree_bytes, run.max_rss_bytes]))")
    output = subprocess.run([sys.executable, "-c", measure, str(tmp_path / "tree.log")], check=True,
                            capture_output=True, text=True).stdout
    returncode, peak_tree_bytes, max_rss_bytes = json.loads(output.strip().splitlines()[-1])
    assert returncode == 0
    assert peak_tree_bytes > 300 * 2**20 > max_rss_bytes


def test_a_build_that_spills_can_open_its_next_connection(tmp_path: Path, monkeypatch) -> None:
    """profiles.yml: a DuckDB build that spills goes on, and the runner can still read the warehouse.

    dbt-duckdb opens the file with the profile's config_options and applies
    its settings on every new connection (SET ...). DuckDB refuses to move
    its temporary directory once it has spilled there, even to the same
    path, so a temp_directory setting made a 100M-lead build fail on the node
    after its first spill; and a connection with config_options stops the
    runner's reader (sales_kpis.warehouse) from opening the same file in the
    same process. The profile's own values are used, rendered as dbt would,
    on a database that spills under a 64MB limit: the spill goes to
    <warehouse>.tmp, the next connection opens, and the reader reads.
    """
    import duckdb
    import jinja2
    import yaml

    from sales_kpis.warehouse import read_only

    database = tmp_path / "wh.duckdb"
    monkeypatch.setenv("SALES_KPIS_DBT_DUCKDB_PATH", str(database))
    output = yaml.safe_load((bench.project_dir() / "profiles.yml").read_text())["sales_kpis"]["outputs"]["duckdb"]

    def render(value) -> str:
        return jinja2.Template(str(value)).render(env_var=lambda name, default=None: os.environ.get(name, default))

    config = {key: render(value) for key, value in (output.get("config_options") or {}).items()}
    settings = {key: render(value) for key, value in output["settings"].items()}
    settings.update(memory_limit="64MB", threads="1")
    with duckdb.connect(str(database), config=config) as connection:
        def cursor():  # what dbt-duckdb does for each connection
            opened = connection.cursor()
            for key, value in settings.items():
                opened.execute(f"SET {key} = '{value}'")
            return opened

        cursor().execute("create table spilled as select range as i, md5(range::varchar) as s "
                         "from range(700000) order by s")
        assert Path(f"{database}.tmp").is_dir()
        assert cursor().execute("select count(*) from spilled").fetchone()[0] == 700_000
        with read_only(database) as reader:
            assert reader.execute("select count(*) from spilled").fetchone()[0] == 700_000


def test_the_spark_report_says_whether_every_mart_was_equal() -> None:
    from sales_kpis.devtools import spark_scale

    report = {"created_at": "2026-12-07T20:33:28+00:00", "leads": 1_000_000, "driver_memory": "4g",
              "shuffle_partitions": 4, "data_tests": True, "command": "pytest ...", "passed": True,
              "wall_seconds": 1800.0, "peak_tree_gib": 5.5, "peak_single_process_gib": 2.1,
              "machine_memory_gib": 23.5, "load_average_before": [2.0, 1, 1], "load_average_after": [3.0, 1, 1],
              "environment": {"git_commit": "abc1234", "cores": 2}, "log_tail": ["E   AssertionError: kpi_x"],
              "builds": {"duckdb": {"seconds": 60.0},
                         "spark": {"seconds": 1500.0, "nodes": 262, "marts_compared": 24, "kpi_marts_compared": 16,
                                   "rows_compared": 3_000_000, "kpi_rows_compared": 40_000}}}
    text = spark_scale.render(report)
    for expected in ("# Spark at 1,000,000 leads", "| result | every mart equal to DuckDB |",
                     "| **Spark: full `dbt build`** (262 nodes, data tests included) | **1500.0 s** |",
                     "| rows compared (in the kpi_ marts) | 3,000,000 (40,000) |",
                     "(Python, dbt and the Spark JVM together) | **5.5 GiB** |"):
        assert expected in text, expected
    assert "AssertionError" not in text
    failed = spark_scale.render(dict(report, passed=False))
    assert "| result | FAILED |" in failed and "E   AssertionError: kpi_x" in failed
