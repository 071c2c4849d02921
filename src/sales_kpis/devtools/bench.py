"""The benchmark behind `sales-kpis bench` / `make bench`.

One benchmark = generated raw data at a scale (cached by seed and size), one
full `dbt build` from an empty DuckDB file in a *subprocess* (so its peak
memory is the build's own, measured with ``wait4``), and a report (JSON and
markdown) with:

- wall time of the build process, split into dbt start-up (wall - dbt's own
  elapsed time: interpreter, imports, parsing), on-run-start hooks, models,
  tests and unit tests (sum of execution times, and the wall-clock span each
  kind kept the run busy: with several dbt threads the sums overlap);
- the ten slowest models and tests, and the row count of every table built;
- peak resident memory of the build process;
- raw-data size (bytes and rows per table);
- the **floor**: the time DuckDB takes to read every raw file once in full,
  with the same threads and memory limit (every value of every column is
  decoded: see :func:`measure_floor`), and the ratio build / floor;
- with ``everyday``, a second full build in the same directory (dbt parses
  partially, as every build after the first in a checkout does): the
  everyday figure, and first build / everyday;
- with ``peer``, the peer (:mod:`sales_kpis.devtools.peer`: the headline
  marts re-computed with pandas from the same raw files) in its own process,
  timed and measured the same way, and the ratios project / peer.

Not a timed test: a command; its reports, one per scale, are kept in
docs/benchmarks/. The scales: S = 10k leads, M = 1M, L = 10M, XL = 100M.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml

from sales_kpis.project import project_dir

#: Named scales (leads).
SCALES = {"S": 10_000, "M": 1_000_000, "L": 10_000_000, "XL": 100_000_000}
#: The generator's default end date: the as-of date of every benchmark build.
BENCH_AS_OF = "2026-10-31"
#: Marker written into a cache directory once the data in it is complete.
CACHE_MARKER = "_bench_complete.json"
RAW_EXTENSIONS = (".parquet", ".csv")


@dataclass
class BenchOptions:
    leads: int
    seed: int = 42
    threads: int | None = None  # DuckDB worker threads (default: DuckDB's, = cores)
    memory_limit: str | None = None  # DuckDB memory_limit (default: the profile's)
    dbt_threads: int | None = None  # dbt's concurrent nodes (default: the profile's)
    out_dir: Path = Path("bench/results")
    cache_dir: Path = Path("bench/cache")
    select: list[str] = field(default_factory=list)
    as_of: str = BENCH_AS_OF
    floor_repeats: int = 3
    warm_parse: bool = False  # parse once untimed, so the timed build uses dbt's partial parsing
    # dbt unit tests (static inputs, the same ~20 s at every scale) are left out
    # by default, like `sales-kpis build` (a production build); --unit-tests adds them.
    unit_tests: bool = False
    # Also time a daily incremental build: the warehouse built as of the day
    # before, then built again as of the as-of date (that day's rows appear).
    incremental: bool = False
    # Also time a second full build in the same directory (dbt's partial parse):
    # the everyday build of a checkout, beside the first one.
    everyday: bool = False
    # Also run the peer (the headline marts in pandas) on the same raw files.
    peer: bool = False
    # The peer is stopped when its resident memory passes this (GiB; default:
    # half the machine's memory, so that it cannot take the machine down).
    peer_memory_limit_gib: float | None = None

    @property
    def label(self) -> str:
        scale = next((name for name, leads in SCALES.items() if leads == self.leads), None)
        return f"{scale}-" if scale else ""

    @property
    def run_name(self) -> str:
        return (f"{self.label}seed{self.seed}-leads{self.leads}" + ("-warm" if self.warm_parse else "")
                + ("-unit" if self.unit_tests else "") + ("-incremental" if self.incremental else "")
                + ("-everyday" if self.everyday else "") + ("-peer" if self.peer else ""))


# --------------------------------------------------------------------------- data


def cache_path(cache_dir: Path, seed: int, leads: int) -> Path:
    return Path(cache_dir) / f"seed{seed}-leads{leads}"


def ensure_data(cache_dir: Path, seed: int, leads: int, say: Callable[[str], None] = print) -> tuple[Path, float | None]:
    """The raw-data directory for (seed, leads): generated unless cached. Returns (dir, seconds spent generating or None)."""
    target = cache_path(cache_dir, seed, leads)
    if (target / CACHE_MARKER).is_file():
        say(f"raw data: cached in {target}")
        return target, None
    from sales_kpis.generate import generate

    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    say(f"raw data: generating {leads:,} leads (seed {seed}) into {target}")
    started = time.perf_counter()
    counts = generate(partial, seed=seed, leads=leads, fmt="parquet", progress=lambda text: say(f"  {text}"))
    seconds = time.perf_counter() - started
    (partial / CACHE_MARKER).write_text(json.dumps({"seed": seed, "leads": leads, "rows": counts,
                                                    "generate_seconds": round(seconds, 2)}, indent=2))
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    return target, seconds


def raw_files(raw_dir: Path) -> list[Path]:
    return sorted(path for path in Path(raw_dir).iterdir() if path.suffix in RAW_EXTENSIONS)


def _reader(path: Path) -> str:
    if path.suffix == ".parquet":
        return f"read_parquet('{path}')"
    return f"read_csv('{path}', header = true, all_varchar = true)"


def raw_sizes(raw_dir: Path) -> list[dict[str, Any]]:
    """Bytes and rows of every raw file (rows from the Parquet footer; CSV counted by DuckDB)."""
    from sales_kpis.warehouse import in_memory

    sizes = []
    with in_memory() as connection:
        for path in raw_files(raw_dir):
            if path.suffix == ".parquet":
                import pyarrow.parquet as pq

                rows = pq.ParquetFile(path).metadata.num_rows
            else:
                rows = connection.execute(f"select count(*) from {_reader(path)}").fetchone()[0]
            sizes.append({"table": path.stem, "file": path.name, "bytes": path.stat().st_size, "rows": int(rows)})
    return sizes


def floor_query(connection, path: Path) -> str:
    """A query that makes DuckDB decode every value of every column of one raw file.

    ``count(*)`` alone reads no column, and ``count(column)`` may be answered
    from validity masks; ``bit_xor(hash(c1, ..., cn))`` needs every value of
    every column, costs one cheap hash per row, and returns one row (no result
    transfer to Python).
    """
    columns = [row[0] for row in connection.execute(f"describe select * from {_reader(path)}").fetchall()]
    quoted = ", ".join('"' + column.replace('"', '""') + '"' for column in columns)
    return f"select count(*), bit_xor(hash({quoted})) from {_reader(path)}"


def measure_floor(raw_dir: Path, threads: int | None, memory_limit: str | None, repeats: int = 3) -> dict[str, Any]:
    """Seconds DuckDB takes to read every raw file once in full (best of `repeats`, after one warm-up read)."""
    from sales_kpis.warehouse import in_memory

    config: dict[str, Any] = {}
    if threads:
        config["threads"] = threads
    if memory_limit:
        config["memory_limit"] = memory_limit
    with in_memory(**config) as connection:
        queries = [floor_query(connection, path) for path in raw_files(raw_dir)]
        for sql in queries:  # warm-up: the OS file cache, as the build will find it
            connection.execute(sql).fetchall()
        timings, cpu_timings = [], []
        for _ in range(max(1, repeats)):
            started, cpu_started = time.perf_counter(), time.process_time()
            for sql in queries:
                connection.execute(sql).fetchall()
            timings.append(time.perf_counter() - started)
            cpu_timings.append(time.process_time() - cpu_started)
        duckdb_threads = connection.execute("select current_setting('threads')").fetchone()[0]
    best = timings.index(min(timings))
    return {"seconds": timings[best], "cpu_seconds": cpu_timings[best], "all_seconds": timings,
            "duckdb_threads": int(duckdb_threads),
            "method": "per raw file: select count(*), bit_xor(hash(<every column>)); best of "
                      f"{len(timings)} after a warm-up"}


# --------------------------------------------------------------------------- the build


def write_profiles(project: Path, run_dir: Path, threads: int | None, memory_limit: str | None) -> Path:
    """A copy of the project's profiles.yml whose duckdb target carries the benchmark's DuckDB settings."""
    profiles = yaml.safe_load((project / "profiles.yml").read_text())
    output = profiles["sales_kpis"]["outputs"]["duckdb"]
    settings = dict(output.get("settings") or {})
    if threads:
        settings["threads"] = int(threads)
    if memory_limit:
        settings["memory_limit"] = memory_limit
    output["settings"] = settings
    profiles_dir = run_dir / "profiles"
    profiles_dir.mkdir(parents=True, exist_ok=True)
    (profiles_dir / "profiles.yml").write_text(yaml.safe_dump(profiles, sort_keys=False))
    return profiles_dir


def dbt_executable() -> list[str]:
    candidate = Path(sys.executable).parent / "dbt"
    if candidate.is_file():
        return [str(candidate)]
    found = shutil.which("dbt")
    if found:
        return [found]
    return [sys.executable, "-c", "import sys; from dbt.cli.main import cli; sys.exit(cli())"]


@dataclass
class ProcessRun:
    """A child process measured from start to exit."""

    command: list[str]
    returncode: int
    wall_seconds: float
    cpu_seconds: float
    max_rss_bytes: int
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    log_path: Path
    stopped_at_bytes: int | None = None  # resident memory when the watchdog stopped it
    peak_tree_bytes: int | None = None  # the most the process and its descendants held together (sampled)


@dataclass
class BuildRun(ProcessRun):
    target_path: Path = Path()
    database: Path = Path()


def _resident_bytes(pid: int) -> int:
    """Resident memory of a live process (Linux /proc; 0 when unknown)."""
    try:
        with open(f"/proc/{pid}/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _process_tree(pid: int) -> list[int]:
    """A process and all its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(parent, []).append(int(entry))
    tree, pending = [], [pid]
    while pending:
        current = pending.pop()
        tree.append(current)
        pending.extend(children.get(current, []))
    return tree


def timed_process(args: list[str], log_path: Path, env: dict[str, str] | None = None, cwd: Path | None = None,
                  memory_limit_bytes: int | None = None, track_tree: bool = False) -> ProcessRun:
    """Run a child process: its wall time, CPU time and peak RSS (``os.wait4``), stdout and stderr to log_path.

    With memory_limit_bytes, a watchdog stops the child (SIGKILL) once its
    resident memory passes the limit, so an over-sized run cannot exhaust a
    shared machine; the run then reports where it was stopped. With
    track_tree, the watchdog also samples the memory of the child and all its
    descendants together (e.g. a Spark JVM beside its Python driver, which
    wait4's peak, the largest single process, does not add up).
    """
    load_before = os.getloadavg()
    stopped: list[int] = []
    peak_tree = [0]
    with open(log_path, "wb") as log:
        started = time.perf_counter()
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=cwd)
        done = threading.Event()

        def watch() -> None:
            while not done.wait(0.2 if memory_limit_bytes else 0.5):
                resident = (sum(_resident_bytes(pid) for pid in _process_tree(process.pid)) if track_tree
                            else _resident_bytes(process.pid))
                peak_tree[0] = max(peak_tree[0], resident)
                if memory_limit_bytes and resident > memory_limit_bytes:
                    stopped.append(resident)
                    process.kill()
                    return

        watchdog = threading.Thread(target=watch, daemon=True) if memory_limit_bytes or track_tree else None
        if watchdog:
            watchdog.start()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        done.set()
        if watchdog:
            watchdog.join()
        process.returncode = os.waitstatus_to_exitcode(status)
    return ProcessRun(command=args, returncode=process.returncode, wall_seconds=wall,
                      cpu_seconds=usage.ru_utime + usage.ru_stime, max_rss_bytes=int(usage.ru_maxrss) * 1024,
                      load_before=load_before, load_after=os.getloadavg(), log_path=log_path,
                      stopped_at_bytes=stopped[0] if stopped else None,
                      peak_tree_bytes=peak_tree[0] if track_tree else None)


def run_build_subprocess(raw_dir: Path, run_dir: Path, options: BenchOptions,
                         command: str = "build", extra_args: Iterable[str] = (),
                         fresh_database: bool = True, keep_target: bool = False,
                         variables: dict[str, Any] | None = None) -> BuildRun:
    """`dbt <command>` in a child process; wall time and the child's peak RSS (``os.wait4``)."""
    project = project_dir()
    database = run_dir / "warehouse.duckdb"
    if fresh_database:
        for stale in (database, database.with_name(database.name + ".wal")):
            stale.unlink(missing_ok=True)
    target_path = run_dir / "target"
    if not keep_target:
        shutil.rmtree(target_path, ignore_errors=True)
    profiles_dir = write_profiles(project, run_dir, options.threads, options.memory_limit)
    dbt_vars = {"raw_dir": str(Path(raw_dir).resolve()), **(variables or {})}
    args = dbt_executable() + [
        command, "--project-dir", str(project), "--profiles-dir", str(profiles_dir), "--target", "duckdb",
        "--target-path", str(target_path), "--log-path", str(run_dir / "logs"), "--vars", json.dumps(dbt_vars),
    ]
    if options.dbt_threads:
        args += ["--threads", str(options.dbt_threads)]
    for selector in options.select:
        args += ["--select", selector]
    if command == "build" and not options.unit_tests:
        args += ["--exclude-resource-type", "unit_test"]
    args += list(extra_args)
    env = dict(os.environ, DO_NOT_TRACK="1", SALES_KPIS_TARGET="duckdb",
               SALES_KPIS_DBT_DUCKDB_PATH=str(database), SALES_KPIS_RAW_DIR=str(Path(raw_dir).resolve()),
               # the as-of date as an env var keeps dbt's partial parsing when it moves (as_of_date.sql)
               SALES_KPIS_AS_OF_DATE=options.as_of)
    run = timed_process(args, run_dir / f"dbt-{command}.log", env=env, cwd=run_dir)
    return BuildRun(**vars(run), target_path=target_path, database=database)


# --------------------------------------------------------------------------- reading run_results.json


def _parse_time(text: str | None) -> float | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _busy_span(intervals: list[tuple[float, float]]) -> float:
    """Seconds covered by the union of [start, end] intervals."""
    total, current_start, current_end = 0.0, None, None
    for start, end in sorted(intervals):
        if current_end is None or start > current_end:
            if current_end is not None:
                total += current_end - current_start
            current_start, current_end = start, end
        else:
            current_end = max(current_end, end)
    if current_end is not None:
        total += current_end - current_start
    return total


def resource_kind(unique_id: str) -> str:
    kind = unique_id.split(".", 1)[0]
    return "hook" if kind == "operation" else kind


def node_name(unique_id: str) -> str:
    """A readable name: data tests drop the hash dbt appends, unit tests name their model."""
    parts = unique_id.split(".")
    if parts[0] == "test" and len(parts) >= 3:
        return parts[2]
    if parts[0] == "unit_test" and len(parts) >= 4:
        return f"{parts[2]}: {parts[3]}"
    return parts[-1]


def summarise_run_results(path: Path) -> dict[str, Any]:
    """Time per kind of node (model, test, unit_test, seed, hook), the slowest nodes, statuses."""
    data = json.loads(path.read_text())
    by_kind: dict[str, dict[str, Any]] = {}
    intervals: dict[str, list[tuple[float, float]]] = {}
    nodes = []
    for result in data.get("results", []):
        kind = resource_kind(result["unique_id"])
        seconds = float(result.get("execution_time") or 0.0)
        entry = by_kind.setdefault(kind, {"count": 0, "seconds": 0.0, "statuses": {}})
        entry["count"] += 1
        entry["seconds"] += seconds
        entry["statuses"][result["status"]] = entry["statuses"].get(result["status"], 0) + 1
        starts = [_parse_time(t.get("started_at")) for t in result.get("timing", [])]
        ends = [_parse_time(t.get("completed_at")) for t in result.get("timing", [])]
        starts, ends = [s for s in starts if s], [e for e in ends if e]
        if starts and ends:
            intervals.setdefault(kind, []).append((min(starts), max(ends)))
        nodes.append({"unique_id": result["unique_id"], "name": node_name(result["unique_id"]),
                      "kind": kind, "seconds": round(seconds, 3), "status": result["status"]})
    for kind, entry in by_kind.items():
        entry["seconds"] = round(entry["seconds"], 3)
        entry["busy_wall_seconds"] = round(_busy_span(intervals.get(kind, [])), 3)
    nodes.sort(key=lambda node: -node["seconds"])
    failed = [node for node in nodes if node["status"] in {"error", "fail", "runtime error"}]
    return {
        "elapsed_seconds": round(float(data.get("elapsed_time") or 0.0), 3),
        "by_kind": by_kind,
        "top_models": [node for node in nodes if node["kind"] == "model"][:10],
        "top_tests": [node for node in nodes if node["kind"] in {"test", "unit_test"}][:10],
        "failed": failed,
    }


def table_rows(database: Path) -> list[dict[str, Any]]:
    """Rows of every table the build left in the DuckDB file (largest first)."""
    from sales_kpis.warehouse import read_only

    if not database.is_file():
        return []
    with read_only(database) as connection:
        rows = connection.execute(
            "select schema_name, table_name, estimated_size from duckdb_tables() "
            "where database_name = current_database() order by estimated_size desc"
        ).fetchall()
        counted = []
        for schema, table, _ in rows:
            count = connection.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0]
            counted.append({"relation": f"{schema}.{table}", "rows": int(count)})
    counted.sort(key=lambda item: -item["rows"])
    return counted


# --------------------------------------------------------------------------- the benchmark


def _environment_facts() -> dict[str, Any]:
    import duckdb

    facts: dict[str, Any] = {"python": platform.python_version(), "duckdb": duckdb.__version__,
                             "machine": platform.machine(), "cores": os.cpu_count()}
    try:
        from importlib.metadata import version

        facts["dbt_core"] = version("dbt-core")
        facts["dbt_duckdb"] = version("dbt-duckdb")
    except Exception:  # a report without versions is still a report
        pass
    try:
        facts["memory_gib"] = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError):
        pass
    try:
        facts["git_commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=project_dir(),
                                             capture_output=True, text=True, check=True).stdout.strip()
    except Exception:
        pass
    return facts


def _process_figures(run: ProcessRun) -> dict[str, Any]:
    """Wall, CPU, peak memory and load average of a measured process, for the report."""
    figures = {
        "returncode": run.returncode,
        "success": run.returncode == 0,
        "wall_seconds": round(run.wall_seconds, 3),
        "cpu_seconds": round(run.cpu_seconds, 3),
        "load_average_before": [round(value, 2) for value in run.load_before],
        "load_average_after": [round(value, 2) for value in run.load_after],
        "peak_rss_bytes": run.max_rss_bytes,
        "peak_rss_gib": round(run.max_rss_bytes / 2**30, 3),
        "log": str(run.log_path),
    }
    if run.stopped_at_bytes is not None:
        figures["stopped_at_gib"] = round(run.stopped_at_bytes / 2**30, 3)
    return figures


def _build_figures(build: BuildRun, options: BenchOptions) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """A build's figures and its run_results summary (start-up = wall - dbt's own elapsed time)."""
    figures = {"command": f"SALES_KPIS_AS_OF_DATE={options.as_of} " + " ".join(build.command), **_process_figures(build)}
    results_path = build.target_path / "run_results.json"
    results = summarise_run_results(results_path) if results_path.is_file() else None
    if results:
        figures["dbt_elapsed_seconds"] = results["elapsed_seconds"]
        figures["startup_seconds"] = round(build.wall_seconds - results["elapsed_seconds"], 3)
        figures["model_seconds"] = results["by_kind"].get("model", {}).get("seconds", 0.0)
    return figures, results


def _physical_memory_bytes() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return None


def run_peer(raw_dir: Path, run_dir: Path, options: BenchOptions) -> dict[str, Any]:
    """The peer (sales_kpis.devtools.peer) in its own process on the same raw files and as-of date."""
    out_dir = run_dir / "peer"
    shutil.rmtree(out_dir, ignore_errors=True)
    physical = _physical_memory_bytes()
    limit = (int(options.peer_memory_limit_gib * 2**30) if options.peer_memory_limit_gib
             else (physical // 2 if physical else None))
    args = [sys.executable, "-m", "sales_kpis.devtools.peer", str(Path(raw_dir).resolve()), str(out_dir),
            "--as-of", options.as_of]
    run = timed_process(args, run_dir / "peer.log", env=dict(os.environ), cwd=run_dir, memory_limit_bytes=limit)
    figures = {"command": " ".join(args), **_process_figures(run),
               "memory_limit_gib": round(limit / 2**30, 1) if limit else None}
    summary_path = out_dir / "peer.json"
    if run.returncode == 0 and summary_path.is_file():
        summary = json.loads(summary_path.read_text())
        figures["steps"], figures["rows"] = summary["steps"], summary["rows"]
    return figures


def project_and_peer_ratios(report: dict[str, Any]) -> dict[str, Any]:
    """project / peer (wall, CPU, peak memory; the project figure is the everyday build when measured,
    else the first build) and first build / everyday."""
    first, everyday, peer = report["build"], report.get("everyday"), report.get("peer")
    project = everyday or first
    ratios: dict[str, Any] = {"project_build": "everyday" if everyday else "first"}
    if everyday and everyday["wall_seconds"]:
        ratios["first_over_everyday_wall"] = round(first["wall_seconds"] / everyday["wall_seconds"], 2)
    if peer and peer["success"] and peer["wall_seconds"]:
        ratios["project_over_peer_wall"] = round(project["wall_seconds"] / peer["wall_seconds"], 2)
        ratios["project_over_peer_cpu"] = round(project["cpu_seconds"] / peer["cpu_seconds"], 2)
        ratios["project_over_peer_peak"] = round(project["peak_rss_bytes"] / peer["peak_rss_bytes"], 2)
    return ratios


def run_benchmark(options: BenchOptions, say: Callable[[str], None] = print) -> dict[str, Any]:
    """Generate (or reuse) the data, build, measure; write <out>/<run>.json and .md; return the report."""
    raw_dir, generate_seconds = ensure_data(options.cache_dir, options.seed, options.leads, say)
    run_dir = Path(options.out_dir).resolve() / options.run_name
    run_dir.mkdir(parents=True, exist_ok=True)

    say("floor: reading every raw file in full with DuckDB")
    floor = measure_floor(raw_dir, options.threads, options.memory_limit, options.floor_repeats)
    say(f"floor: {floor['seconds']:.3f} s")

    if options.warm_parse:
        say("dbt parse: once, untimed (the timed build then parses partially)")
        run_build_subprocess(raw_dir, run_dir, options, command="parse")
    say("dbt build: running in a subprocess")
    build = run_build_subprocess(raw_dir, run_dir, options, keep_target=options.warm_parse)
    say(f"dbt build: exit {build.returncode} in {build.wall_seconds:.1f} s, peak {build.max_rss_bytes / 2**30:.2f} GiB")
    build_figures, results = _build_figures(build, options)

    sizes = raw_sizes(raw_dir)
    report: dict[str, Any] = {
        "run": options.run_name,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "options": {key: (str(value) if isinstance(value, Path) else value) for key, value in asdict(options).items()},
        "environment": _environment_facts(),
        "raw": {"dir": str(raw_dir), "generate_seconds": generate_seconds,
                "bytes": sum(item["bytes"] for item in sizes), "rows": sum(item["rows"] for item in sizes),
                "tables": sizes},
        "floor": floor,
        "build": build_figures,
        "results": results,
        "tables": table_rows(build.database),
    }
    if floor["seconds"] > 0:
        report["ratios"] = {
            "build_wall_over_floor": round(build.wall_seconds / floor["seconds"], 1),
            "model_seconds_over_floor": round(report["build"].get("model_seconds", 0.0) / floor["seconds"], 1),
        }
        if floor.get("cpu_seconds"):
            report["ratios"]["build_cpu_over_floor_cpu"] = round(build.cpu_seconds / floor["cpu_seconds"], 1)
    if options.everyday:
        say("dbt build: again in the same directory (the everyday build: dbt parses partially)")
        everyday = run_build_subprocess(raw_dir, run_dir, options, keep_target=True)
        say(f"dbt build: exit {everyday.returncode} in {everyday.wall_seconds:.1f} s, "
            f"peak {everyday.max_rss_bytes / 2**30:.2f} GiB")
        report["everyday"], report["everyday_results"] = _build_figures(everyday, options)
    if options.peer:
        say("peer: the headline marts in pandas, in a subprocess")
        report["peer"] = run_peer(raw_dir, run_dir, options)
        say(f"peer: exit {report['peer']['returncode']} in {report['peer']['wall_seconds']:.1f} s, "
            f"peak {report['peer']['peak_rss_gib']:.2f} GiB")
    if options.everyday or options.peer:
        report["project_and_peer"] = project_and_peer_ratios(report)
    if options.incremental:
        report["incremental"] = measure_incremental(raw_dir, run_dir, options, build, say)
    json_path = Path(options.out_dir).resolve() / f"{options.run_name}.json"
    md_path = json_path.with_suffix(".md")
    json_path.write_text(json.dumps(report, indent=2, default=str))
    md_path.write_text(render_markdown(report))
    report["paths"] = {"json": str(json_path), "markdown": str(md_path)}
    return report


def measure_incremental(raw_dir: Path, run_dir: Path, options: BenchOptions, full: BuildRun,
                        say: Callable[[str], None]) -> dict[str, Any]:
    """A daily run: build as of the day before (untimed), then again as of the as-of date, incrementally.

    The raw data is the same files: building as of the day before leaves that
    day's leads, deals, stage entries and subscription changes invisible, and
    the second build sees them (docs/decisions/0006-incremental.md), so it is
    "one more day of raw data" for the incremental facts. The second build
    keeps the first one's target directory, as a scheduled daily job would
    (dbt parses partially).

    Before it, the same daily step without the data tests (`dbt run`, in the
    same directory, then the day-before warehouse is put back): how much of
    the daily build is the tests, and what the models alone cost. Same
    directory, profile and environment, so it also parses partially.
    """
    inc_dir = run_dir / "incremental"
    inc_dir.mkdir(parents=True, exist_ok=True)
    day_before = (datetime.strptime(options.as_of, "%Y-%m-%d") - timedelta(days=1)).strftime("%Y-%m-%d")
    # The incremental path, as `sales-kpis build` takes it once its check of the raw data passed
    # (docs/decisions/0030-full-builds-by-default.md); the same vars every day, so dbt parses partially.
    daily_vars = {"incremental": True}
    say(f"incremental: full build as of {day_before} (untimed)")
    first = run_build_subprocess(raw_dir, inc_dir, replace(options, as_of=day_before), variables=daily_vars)
    say(f"incremental: exit {first.returncode} in {first.wall_seconds:.1f} s")
    saved = _database_files(first.database)
    for path in saved:
        shutil.copy2(path, path.with_name(path.name + ".day-before"))
    say(f"incremental: the day as of {options.as_of} without data tests (dbt run)")
    models_only = run_build_subprocess(raw_dir, inc_dir, options, command="run",
                                       fresh_database=False, keep_target=True, variables=daily_vars)
    say(f"incremental: dbt run exit {models_only.returncode} in {models_only.wall_seconds:.1f} s")
    models_only_summary = None
    if (models_only.target_path / "run_results.json").is_file():
        models_only_summary = summarise_run_results(models_only.target_path / "run_results.json")
    for path in _database_files(first.database):
        path.unlink()
    for path in saved:
        path.with_name(path.name + ".day-before").rename(path)
    say(f"incremental: the day-before warehouse put back; now the build as of {options.as_of}")
    second = run_build_subprocess(raw_dir, inc_dir, options, fresh_database=False, keep_target=True,
                                  variables=daily_vars)
    say("incremental: the runner's check of the raw data (a fingerprint of every row the facts read)")
    check_seconds = time_raw_data_check(raw_dir)
    say(f"incremental: the check in {check_seconds:.1f} s")
    say(f"incremental: exit {second.returncode} in {second.wall_seconds:.1f} s")
    results_path = second.target_path / "run_results.json"
    results = summarise_run_results(results_path) if results_path.is_file() else None
    entry: dict[str, Any] = {
        "day_before": day_before,
        "first_build": {"returncode": first.returncode, "wall_seconds": round(first.wall_seconds, 3)},
        "returncode": second.returncode,
        "success": first.returncode == 0 and second.returncode == 0 and models_only.returncode == 0,
        "wall_seconds": round(second.wall_seconds, 3),
        "cpu_seconds": round(second.cpu_seconds, 3),
        "peak_rss_gib": round(second.max_rss_bytes / 2**30, 3),
        "ratio_to_full_wall": round(second.wall_seconds / full.wall_seconds, 3) if full.wall_seconds else None,
        "check_seconds": round(check_seconds, 3),
        "results": results,
    }
    if results:
        model_seconds = results["by_kind"].get("model", {}).get("seconds", 0.0)
        entry["model_seconds"] = model_seconds
        entry["test_seconds"] = results["by_kind"].get("test", {}).get("seconds", 0.0)
        entry["test_busy_wall_seconds"] = results["by_kind"].get("test", {}).get("busy_wall_seconds", 0.0)
        entry["startup_seconds"] = round(second.wall_seconds - results["elapsed_seconds"], 3)
        entry["incremental_models"] = model_times(results_path, INCREMENTAL_MODELS)
    full_results = full.target_path / "run_results.json"
    if full_results.is_file():
        entry["incremental_models_full_build"] = model_times(full_results, INCREMENTAL_MODELS)
    entry["models_only"] = {
        "command": f"SALES_KPIS_AS_OF_DATE={options.as_of} " + " ".join(models_only.command),
        "returncode": models_only.returncode,
        "wall_seconds": round(models_only.wall_seconds, 3),
        "ratio_to_full_wall": round(models_only.wall_seconds / full.wall_seconds, 3) if full.wall_seconds else None,
    }
    if models_only_summary:
        entry["models_only"]["model_seconds"] = models_only_summary["by_kind"].get("model", {}).get("seconds", 0.0)
        entry["models_only"]["startup_seconds"] = round(
            models_only.wall_seconds - models_only_summary["elapsed_seconds"], 3)
    return entry


def time_raw_data_check(raw_dir: Path) -> float:
    """Seconds to fingerprint the raw rows the incremental facts read, as `sales-kpis build` does before
    it may take the incremental path (sales_kpis.incremental.fingerprint)."""
    from sales_kpis.incremental import fingerprint

    started = time.perf_counter()
    fingerprint(raw_dir).close()
    return time.perf_counter() - started


def _database_files(database: Path) -> list[Path]:
    """The DuckDB file and its write-ahead log, those that exist."""
    return [path for path in (database, database.with_name(database.name + ".wal")) if path.is_file()]


# The incremental facts (docs/decisions/0006-incremental.md).
INCREMENTAL_MODELS = ("int_opportunity_stage_entries", "fct_leads", "int_account_product_arr_monthly",
                      "int_account_arr_monthly", "int_account_arr_movements")


def model_times(results_path: Path, names: Iterable[str]) -> dict[str, float]:
    """Execution seconds of the named models in a run_results.json, in the order named."""
    seconds = {node["unique_id"].split(".")[-1]: node["execution_time"]
               for node in json.loads(results_path.read_text())["results"]
               if node["unique_id"].startswith("model.")}
    return {name: round(seconds[name], 3) for name in names if name in seconds}


def _incremental_markdown(entry: dict[str, Any], full_wall: float, full_models: float | None) -> list[str]:
    lines = ["", "## Incremental build (one more day)", "",
             f"The warehouse built as of {entry['day_before']} (in {entry['first_build']['wall_seconds']:.1f} s), "
             "then `dbt build` again as of the as-of date with var `incremental` (the path `sales-kpis build` "
             "takes when its check of the raw data passes, docs/decisions/0030-full-builds-by-default.md): the "
             "incremental facts recompute only what the day touched (docs/decisions/0006-incremental.md); "
             "everything downstream is rebuilt.", "",
             "| measure | incremental | full build | ratio |", "|---|---:|---:|---:|",
             f"| wall time of `dbt build` | {entry['wall_seconds']:.1f} s | {full_wall:.1f} s | "
             f"{entry['wall_seconds'] / full_wall:.2f} |"]
    if entry.get("model_seconds") is not None and full_models:
        lines.append(f"| sum of model execution times | {entry['model_seconds']:.1f} s | {full_models:.1f} s | "
                     f"{entry['model_seconds'] / full_models:.2f} |")
    if entry.get("test_seconds") is not None:
        lines.append(f"| data tests: sum / busy wall span | {entry['test_seconds']:.1f} / "
                     f"{entry.get('test_busy_wall_seconds', 0.0):.1f} s | | |")
    if entry.get("startup_seconds") is not None:
        lines.append(f"| dbt start-up (partial parse) | {entry['startup_seconds']:.1f} s | | |")
    if entry.get("check_seconds") is not None:
        lines.append(f"| the runner's check of the raw data (before dbt) | {entry['check_seconds']:.1f} s | | |")
    lines.append(f"| result | {'success' if entry['success'] else 'FAILED'} | | |")
    incremental = entry.get("incremental_models") or {}
    full_times = entry.get("incremental_models_full_build") or {}
    for name, seconds in incremental.items():
        full_seconds = full_times.get(name)
        if full_seconds:
            lines.append(f"| incremental model {name} | {seconds:.2f} s | {full_seconds:.2f} s | "
                         f"{seconds / full_seconds:.2f} |")
        else:
            lines.append(f"| incremental model {name} | {seconds:.2f} s | | |")
    if incremental and set(incremental) <= set(full_times):
        total, total_full = sum(incremental.values()), sum(full_times[name] for name in incremental)
        if total_full:
            lines.append(f"| the {len(incremental)} incremental models together | {total:.1f} s | "
                         f"{total_full:.1f} s | {total / total_full:.2f} |")
    models_only = entry.get("models_only")
    if models_only:
        ratio = f"{models_only['wall_seconds'] / full_wall:.2f}" if full_wall else ""
        startup = (f" (start-up {models_only['startup_seconds']:.1f} s)"
                   if models_only.get("startup_seconds") is not None else "")
        lines.append(f"| the same day without data tests (`dbt run` on the {entry['day_before']} "
                     f"warehouse){startup} | {models_only['wall_seconds']:.1f} s"
                     f"{'' if models_only.get('returncode') == 0 else ' (FAILED)'} | {full_wall:.1f} s | {ratio} |")
    return lines


# --------------------------------------------------------------------------- the report


def _process_row(label: str, figures: dict[str, Any]) -> str:
    if figures.get("stopped_at_gib") is not None:
        result = f"stopped at {figures['stopped_at_gib']:.1f} GiB (limit {figures.get('memory_limit_gib')} GiB)"
    else:
        result = "success" if figures["success"] else f"FAILED (exit {figures['returncode']})"
    load = f"{figures['load_average_before'][0]:.2f} / {figures['load_average_after'][0]:.2f}"
    return (f"| {label} | {figures['wall_seconds']:.1f} s | {figures['cpu_seconds']:.1f} s | "
            f"{figures['peak_rss_gib']:.2f} GiB | {load} | {result} |")


def _phase_cells(figures: dict[str, Any], results: dict[str, Any] | None) -> dict[str, str]:
    if not results:
        return {}
    kinds = results["by_kind"]

    def span(kind: str) -> str:
        entry = kinds.get(kind)
        return f"{entry['busy_wall_seconds']:.1f} s ({entry['seconds']:.1f} s, {entry['count']} nodes)" if entry else "-"

    other = sum(kinds[kind]["busy_wall_seconds"] for kind in ("hook", "seed") if kind in kinds)
    return {"dbt start-up (interpreter, imports, parse)": f"{figures['startup_seconds']:.1f} s",
            "hooks and seeds": f"{other:.1f} s",
            "models: busy wall span (sum of execution times)": span("model"),
            "data tests: busy wall span (sum of execution times)": span("test"),
            "wall time": f"{figures['wall_seconds']:.1f} s"}


def _project_and_peer_markdown(report: dict[str, Any]) -> list[str]:
    """The section of a run with the everyday build and/or the peer: times, peaks, ratios, phases."""
    first, everyday, peer = report["build"], report.get("everyday"), report.get("peer")
    ratios = report.get("project_and_peer") or {}
    lines = ["", "## The project and its peer", "",
             "| run | wall | CPU | peak memory | load (1 min) before / after | result |",
             "|---|---:|---:|---:|---|---|",
             _process_row("project: first build (fresh target directory: full parse)", first)]
    if everyday:
        lines.append(_process_row("project: everyday build (the same directory again: partial parse)", everyday))
    if peer:
        lines.append(_process_row("peer: the headline marts in pandas, from the same raw files", peer))
    project = "the everyday build" if everyday else "the first build"
    lines += ["", "| ratio | value |", "|---|---:|"]
    if "first_over_everyday_wall" in ratios:
        lines.append(f"| first build / everyday build (wall) | {ratios['first_over_everyday_wall']:.2f} |")
    if "project_over_peer_wall" in ratios:
        lines += [f"| **project / peer, wall** ({project}) | **{ratios['project_over_peer_wall']:.2f}** |",
                  f"| project / peer, CPU | {ratios['project_over_peer_cpu']:.2f} |",
                  f"| project / peer, peak memory | {ratios['project_over_peer_peak']:.2f} |"]
    phases = {"first build": _phase_cells(first, report.get("results"))}
    if everyday:
        phases["everyday build"] = _phase_cells(everyday, report.get("everyday_results"))
    if any(phases.values()):
        names = list(phases)
        lines += ["", "Phases of each build:", "", "| phase | " + " | ".join(names) + " |",
                  "|---|" + "---:|" * len(names)]
        for phase in next(cells for cells in phases.values() if cells):
            lines.append(f"| {phase} | " + " | ".join(phases[name].get(phase, "-") for name in names) + " |")
    if peer and peer.get("steps"):
        lines += ["", "Steps of the peer (seconds inside its process; the rest is the interpreter and imports):", "",
                  "| step | seconds |", "|---|---:|"]
        lines += [f"| {name} | {seconds:.2f} |" for name, seconds in peer["steps"].items()]
        lines += ["", "Peer rows: " + ", ".join(f"{name} {rows:,}" for name, rows in peer["rows"].items()) + "."]
    return lines



def _fmt_bytes(count: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:,.0f} {unit}" if unit == "B" else f"{count:,.1f} {unit}"
        count /= 1024
    return str(count)


def render_markdown(report: dict[str, Any]) -> str:
    build, floor, raw, results = report["build"], report["floor"], report["raw"], report.get("results")
    env = report["environment"]
    options = report["options"]
    lines = [
        f"# Benchmark {report['run']}",
        "",
        f"{report['created_at']} · commit {env.get('git_commit', '?')} · {env.get('cores')} cores, "
        f"{env.get('memory_gib', '?')} GiB · DuckDB {env.get('duckdb')} · dbt-core {env.get('dbt_core', '?')} · "
        f"DuckDB threads {floor.get('duckdb_threads')} · memory limit {options.get('memory_limit') or 'profile default'} · "
        f"dbt threads {options.get('dbt_threads') or 'profile default'}",
        "",
        "| measure | value |",
        "|---|---:|",
        f"| leads | {options['leads']:,} |",
        f"| raw data | {_fmt_bytes(raw['bytes'])}, {raw['rows']:,} rows in {len(raw['tables'])} files |",
        f"| build result | {'success' if build['success'] else 'FAILED (exit ' + str(build['returncode']) + ')'} |",
        f"| dbt project parse | {'partial (parsed once before, untimed)' if options.get('warm_parse') else 'full (fresh target directory)'} |",
        f"| dbt unit tests | {'included' if options.get('unit_tests') else 'excluded, as in a production `sales-kpis build` (they run in CI)'} |",
        f"| **wall time of `dbt build`** | **{build['wall_seconds']:.1f} s** |",
        f"| CPU time of the build process (user + system) | {build['cpu_seconds']:.1f} s |",
        f"| load average (1 min) before / after | {build['load_average_before'][0]:.2f} / "
        f"{build['load_average_after'][0]:.2f} |",
    ]
    if results:
        kinds = results["by_kind"]
        lines += [f"| dbt start-up (wall - dbt elapsed: imports, parse) | {build['startup_seconds']:.1f} s |",
                  f"| dbt elapsed (hooks + nodes) | {results['elapsed_seconds']:.1f} s |"]
        for kind in ("hook", "seed", "model", "test", "unit_test"):
            if kind in kinds:
                entry = kinds[kind]
                lines.append(f"| {kind}s: {entry['count']} nodes, sum of execution times / busy wall span | "
                             f"{entry['seconds']:.1f} s / {entry['busy_wall_seconds']:.1f} s |")
    lines += [
        f"| **peak memory (RSS of the build process)** | **{build['peak_rss_gib']:.2f} GiB** |",
        f"| **floor: DuckDB reads every raw file once in full** | **{floor['seconds']:.3f} s** "
        f"({floor.get('cpu_seconds', 0):.3f} s CPU) |",
    ]
    ratios = report.get("ratios") or {}
    if ratios:
        lines += [f"| build wall ÷ floor | {ratios['build_wall_over_floor']:,} |",
                  f"| model time ÷ floor | {ratios['model_seconds_over_floor']:,} |"]
        if "build_cpu_over_floor_cpu" in ratios:
            lines.append(f"| build CPU ÷ floor CPU (robust to a busy machine) | {ratios['build_cpu_over_floor_cpu']:,} |")
    if results:
        lines += ["", "## Slowest models", "", "| model | seconds | status |", "|---|---:|---|"]
        lines += [f"| {node['name']} | {node['seconds']:.2f} | {node['status']} |" for node in results["top_models"]]
        lines += ["", "## Slowest tests", "", "| test | seconds | status |", "|---|---:|---|"]
        lines += [f"| {node['name'][:90]} | {node['seconds']:.2f} | {node['status']} |" for node in results["top_tests"]]
        if results["failed"]:
            lines += ["", "## Failed nodes", ""] + [f"- {node['kind']} {node['name']}: {node['status']}"
                                                    for node in results["failed"]]
    if report.get("everyday") or report.get("peer"):
        lines += _project_and_peer_markdown(report)
    if report.get("incremental"):
        lines += _incremental_markdown(report["incremental"], build["wall_seconds"], build.get("model_seconds"))
    lines += ["", "## Raw data", "", "| table | rows | bytes |", "|---|---:|---:|"]
    lines += [f"| {item['table']} | {item['rows']:,} | {_fmt_bytes(item['bytes'])} |" for item in raw["tables"]]
    if report.get("tables"):
        lines += ["", "## Tables built (largest first)", "", "| relation | rows |", "|---|---:|"]
        lines += [f"| {item['relation']} | {item['rows']:,} |" for item in report["tables"][:15]]
    lines += ["", f"Floor method: {floor['method']}; all runs: "
              + ", ".join(f"{seconds:.3f}" for seconds in floor["all_seconds"]) + " s.",
              "", f"Command: `{build['command']}`", ""]
    if report.get("peer"):
        lines += [f"Peer: `{report['peer']['command']}`", ""]
    return "\n".join(lines)
