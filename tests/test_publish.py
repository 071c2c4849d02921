"""Safe publishing (src/sales_kpis/publish.py): readers never see a half-built warehouse, failures publish nothing.

Fast tests use DuckDB files made here; two slow tests run real builds:
a reader process queries the published file in a loop during a full build
(every answer is the complete old or the complete new warehouse, the ARR
identity holds, no error), and a build whose test fails leaves the published
file byte for byte unchanged.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from conftest import copy_raw, describe_run

from sales_kpis import cli
from sales_kpis.dbt_runner import DbtOptions
from sales_kpis.publish import (
    PublishError,
    PublishPaths,
    build_and_publish,
    checkpoint,
    exclusive_lock,
    release_dbt_duckdb_handle,
    should_seed,
    swap_in,
)

READER = Path(__file__).with_name("publish_reader.py")
#: The reader loop's minimum number of queries (most of them run during the build).
READER_MIN_QUERIES = 200
#: The as-of date of the build that replaces the session's warehouse (different data, so a swap is visible).
EARLIER_AS_OF = "2026-09-30"

# The ARR identity of kpi_arr_movements, counted as violations (must be 0).
ARR_IDENTITY_VIOLATIONS = """
(select count(*) from main.kpi_arr_movements
 where ending_arr <> starting_arr + new_arr + reactivation_arr + expansion_arr - contraction_arr - churned_arr)
"""


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_db(path: Path, value: int) -> None:
    with duckdb.connect(str(path)) as connection:
        connection.execute(f"create table t as select {value} as v")


def read_value(path: Path) -> int:
    """t.v of a database, read in a fresh process (DuckDB shares one open database per path within a process)."""
    code = "import duckdb, sys; print(duckdb.connect(sys.argv[1], read_only=True).execute('select v from t').fetchone()[0])"
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    return int(done.stdout)


# --------------------------------------------------------------------------- the pieces, on small files


def test_each_published_file_keeps_its_own_parse_state(tmp_path):
    """Two warehouses of one name in two directories are two dbt profiles: one target directory each."""
    first, second = PublishPaths(tmp_path / "a" / "wh.duckdb"), PublishPaths(tmp_path / "b" / "wh.duckdb")
    assert first.target_path != second.target_path
    assert first.target_path == PublishPaths(tmp_path / "a" / "wh.duckdb").target_path
    assert first.target_path.name.startswith("wh.duckdb-")


def test_paths_are_siblings_of_the_published_file(tmp_path):
    paths = PublishPaths(tmp_path / "sales_kpis.duckdb")
    assert paths.staging == tmp_path / "sales_kpis.building.duckdb"
    assert paths.failed == tmp_path / "sales_kpis.failed.duckdb"
    assert paths.lock == tmp_path / "sales_kpis.duckdb.lock"
    assert PublishPaths.wal(paths.published) == tmp_path / "sales_kpis.duckdb.wal"
    # Same directory: os.replace is one rename(2), atomic on POSIX.
    assert paths.staging.parent == paths.published.parent


def test_swap_keeps_open_readers_on_the_old_file_and_new_readers_see_the_new_one(tmp_path):
    paths = PublishPaths(tmp_path / "wh.duckdb")
    make_db(paths.published, 1)
    make_db(paths.staging, 2)
    with duckdb.connect(str(paths.published), read_only=True) as old_reader:
        swap_in(paths)
        assert old_reader.execute("select v from t").fetchone()[0] == 1, "an open reader keeps its file"
        assert read_value(paths.published) == 2, "a new reader (another process) sees the new build"
    assert not paths.staging.exists()
    assert read_value(paths.published) == 2


def test_in_one_process_a_connection_left_open_pins_the_old_file(tmp_path):
    """Documented caveat: within one process, close every connection to see the new build."""
    paths = PublishPaths(tmp_path / "wh.duckdb")
    make_db(paths.published, 1)
    make_db(paths.staging, 2)
    first = duckdb.connect(str(paths.published), read_only=True)
    swap_in(paths)
    with duckdb.connect(str(paths.published), read_only=True) as second:
        assert second.execute("select v from t").fetchone()[0] == 1
    first.close()
    with duckdb.connect(str(paths.published), read_only=True) as third:
        assert third.execute("select v from t").fetchone()[0] == 2


def test_views_over_raw_files_survive_the_rename(tmp_path):
    raw = tmp_path / "raw" / "leads.parquet"
    raw.parent.mkdir()
    with duckdb.connect() as connection:
        connection.execute(f"copy (select range as lead_id from range(5)) to '{raw}' (format parquet)")
    paths = PublishPaths(tmp_path / "wh.duckdb")
    with duckdb.connect(str(paths.staging)) as connection:
        connection.execute("create schema raw")
        connection.execute(f"create view raw.leads as select * from read_parquet('{raw}')")
        connection.execute("create view main.lead_count as select count(*) as leads from raw.leads")
    swap_in(paths)
    with duckdb.connect(str(paths.published), read_only=True) as connection:
        assert connection.execute("select leads from main.lead_count").fetchone()[0] == 5


def test_checkpoint_folds_the_wal_into_the_file(tmp_path):
    database = tmp_path / "wh.duckdb"
    connection = duckdb.connect(str(database))
    connection.execute("pragma disable_checkpoint_on_shutdown")
    connection.execute("create table t as select 42 as v")
    connection.close()
    assert PublishPaths.wal(database).exists(), "set-up: a WAL left behind"
    checkpoint(database)
    assert not PublishPaths.wal(database).exists()
    assert read_value(database) == 42


def test_swap_drops_a_stale_wal_of_the_old_file(tmp_path):
    """A WAL beside the published file belongs to the old file: replayed onto the new one it would corrupt it."""
    paths = PublishPaths(tmp_path / "wh.duckdb")
    connection = duckdb.connect(str(paths.published))
    connection.execute("pragma disable_checkpoint_on_shutdown")
    connection.execute("create table t as select 1 as v")
    connection.close()
    assert PublishPaths.wal(paths.published).exists()
    make_db(paths.staging, 2)
    swap_in(paths)
    assert not PublishPaths.wal(paths.published).exists()
    assert read_value(paths.published) == 2


def test_one_build_at_a_time_per_published_file(tmp_path):
    paths = PublishPaths(tmp_path / "wh.duckdb")
    with exclusive_lock(paths.lock):
        with pytest.raises(PublishError, match="another build"):
            build_and_publish(DbtOptions(database=paths.published, raw_dir=tmp_path))
    assert not paths.staging.exists() and not paths.published.exists()


def test_staging_starts_from_the_published_file_unless_fresh(tmp_path):
    published = tmp_path / "wh.duckdb"
    assert not should_seed(DbtOptions(), published), "nothing published yet: a fresh file"
    make_db(published, 1)
    assert should_seed(DbtOptions(), published), "incremental models continue from the last good state"
    assert should_seed(DbtOptions(select=["kpi_retention"]), published), "a partial build keeps the rest"
    assert not should_seed(DbtOptions(full_refresh=True), published), "a full refresh starts empty"
    assert should_seed(DbtOptions(full_refresh=True, select=["kpi_retention"]), published)
    assert not should_seed(DbtOptions(), published, fresh=True)


# --------------------------------------------------------------------------- file modes and paths that cannot be written


def other_group() -> int | None:
    """A group this process may give a file it owns, other than its own (root: any; else one it is a member of)."""
    import grp

    own = os.getegid()
    candidates = [group.gr_gid for group in grp.getgrall()] if os.geteuid() == 0 else os.getgroups()
    return next((gid for gid in candidates if gid != own), None)


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o444])
def test_the_replacement_keeps_the_mode_and_group_of_the_file_it_replaces(tmp_path, mode):
    from sales_kpis.publish import keep_mode_and_group

    published, staging = tmp_path / "wh.duckdb", tmp_path / "wh.building.duckdb"
    make_db(published, 1)
    make_db(staging, 2)
    os.chmod(published, mode)
    group = other_group()
    if group is not None:
        os.chown(published, -1, group)
    assert keep_mode_and_group(published, staging) == []
    info = staging.stat()
    assert info.st_mode & 0o7777 == mode
    assert info.st_gid == published.stat().st_gid


def test_files_a_build_creates_give_others_no_access(tmp_path):
    from sales_kpis.publish import private_files

    previous = os.umask(0o002)
    try:
        with private_files():
            make_db(tmp_path / "new.duckdb", 1)
        make_db(tmp_path / "after.duckdb", 1)
    finally:
        os.umask(previous)
    assert (tmp_path / "new.duckdb").stat().st_mode & 0o007 == 0
    assert (tmp_path / "new.duckdb").stat().st_mode & 0o060 == 0o060, "the group keeps what the umask gives it"
    assert (tmp_path / "after.duckdb").stat().st_mode & 0o004, "the umask is restored"


def unwritable_directory(tmp_path: Path) -> Path:
    """A directory this process cannot write in: a read-only one; as root (who may write anywhere) /sys."""
    if os.geteuid() == 0:
        if not Path("/sys").is_dir():
            pytest.skip("running as root without /sys: no directory root cannot write")
        return Path("/sys")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    return locked


def test_a_warehouse_path_that_cannot_be_written_is_named_in_one_line(tmp_path):
    from sales_kpis.publish import check_writable

    (tmp_path / "a-file").write_text("x")
    with pytest.raises(PublishError, match=r"a-file is a file, not a directory$"):
        check_writable(tmp_path / "a-file" / "wh.duckdb")
    locked = unwritable_directory(tmp_path)
    with pytest.raises(PublishError, match=r"^cannot write .*(Permission denied|Operation not permitted|permission "
                                           r"denied).*must be writable by the build"):
        check_writable(locked / "sub" / "wh.duckdb")
    with pytest.raises(PublishError, match="must be writable by the build"):
        check_writable(locked / "wh.duckdb")


# --------------------------------------------------------------------------- real builds


def snapshot_sql(database: Path) -> tuple[str, list[str]]:
    """One query over the whole warehouse, and its column names: every table's row count, the as-of date, checks.

    Two complete builds as of different dates answer it differently; a
    half-built or mixed warehouse would match neither.
    """
    with duckdb.connect(str(database), read_only=True) as connection:
        tables = connection.execute(
            """
            select schema_name, table_name from duckdb_tables()
            where database_name = current_database() and schema_name <> 'raw'
            order by schema_name, table_name
            """
        ).fetchall()
    names = {name for _, name in tables}
    assert {"fct_opportunities", "dim_dates"} <= names, names
    columns = {f"{schema}.{name}": f'(select count(*) from "{schema}"."{name}")' for schema, name in tables}
    columns["as_of_date"] = "(select max(date_day) from main.dim_dates where is_on_or_before_as_of)"
    columns["won_arr"] = "(select sum(arr_amount) from main.fct_opportunities where is_won)"
    if "kpi_arr_movements" in names:
        columns["arr_identity_violations"] = ARR_IDENTITY_VIOLATIONS
        columns["ending_arr_total"] = "(select sum(ending_arr) from main.kpi_arr_movements)"
    sql = "select\n    " + ",\n    ".join(f'{expression} as "{name}"' for name, expression in columns.items())
    return sql, list(columns)


def fetch_snapshot(database: Path, sql: str) -> list[str]:
    with duckdb.connect(str(database), read_only=True) as connection:
        return [str(value) for value in connection.execute(sql).fetchone()]


def publish_copy_of(built_warehouse, directory: Path) -> Path:
    """The session's warehouse copied to directory/wh.duckdb, as the last good published build."""
    release_dbt_duckdb_handle()  # checkpoints the session's file so the copy is complete
    directory.mkdir(parents=True)
    published = directory / "wh.duckdb"
    shutil.copyfile(built_warehouse.database, published)
    return published


@pytest.mark.slow
def test_reader_during_a_full_build_sees_only_complete_consistent_warehouses(built_warehouse, tmp_path):
    published = publish_copy_of(built_warehouse, tmp_path / "warehouse")
    sql, columns = snapshot_sql(published)
    (tmp_path / "snapshot.sql").write_text(sql)
    old = fetch_snapshot(published, sql)
    stop = tmp_path / "build-finished"
    loop_out, pinned_out = tmp_path / "loop.jsonl", tmp_path / "pinned.jsonl"
    common = [str(published), str(tmp_path / "snapshot.sql"), str(stop)]
    readers = [
        subprocess.Popen([sys.executable, str(READER), "loop", *common, str(loop_out), str(READER_MIN_QUERIES), "20"]),
        subprocess.Popen([sys.executable, str(READER), "pinned", *common, str(pinned_out)]),
    ]
    try:
        # Let the readers start and open the published file before the build.
        while not (loop_out.exists() and loop_out.read_text().count("\n") >= 5 and pinned_out.exists()
                   and pinned_out.read_text()):
            assert all(reader.poll() is None for reader in readers), "a reader died before the build"
            threading.Event().wait(0.05)
        result = build_and_publish(
            DbtOptions(raw_dir=built_warehouse.raw_dir, database=published, as_of=EARLIER_AS_OF,
                       target_path=tmp_path / "target"),
            extra_args=["--log-level", "none"], fresh=True,
        )
    finally:
        stop.touch()
        for reader in readers:
            reader.wait(timeout=300)
    assert result.ok and result.swapped, describe_run(result.run)
    assert not result.seeded
    assert [reader.returncode for reader in readers] == [0, 0]
    new = fetch_snapshot(published, sql)
    assert new != old, "the two builds must differ for the test to see the swap"
    assert dict(zip(columns, old))["as_of_date"] == built_warehouse.as_of
    assert dict(zip(columns, new))["as_of_date"] == EARLIER_AS_OF

    answers = [json.loads(line) for line in loop_out.read_text().splitlines()]
    errors = [answer for answer in answers if answer["error"]]
    assert not errors, f"{len(errors)} reader errors, first: {errors[0]}"
    assert len(answers) >= READER_MIN_QUERIES
    kinds = ["old" if answer["row"] == old else "new" if answer["row"] == new else "other" for answer in answers]
    assert "other" not in kinds, f"answer {kinds.index('other')} matches neither build: {answers[kinds.index('other')]}"
    # Old answers, then new ones, never back: the swap is one instant.
    first_new = kinds.index("new")
    assert set(kinds[first_new:]) == {"new"} and set(kinds[:first_new]) == {"old"}
    during_build = sum(1 for answer in answers[:first_new] if not answer["after_stop"])
    assert during_build >= 50, f"only {during_build} queries ran during the build"
    if "arr_identity_violations" in columns:
        position = columns.index("arr_identity_violations")
        assert all(answer["row"][position] == "0" for answer in answers), "the ARR identity fails in an answer"

    pinned = [json.loads(line) for line in pinned_out.read_text().splitlines()]
    assert [answer["row"] for answer in pinned] == [old, old], "a connection held open keeps its (old) warehouse"
    assert not PublishPaths(published).staging.exists()
    assert not PublishPaths.wal(published).exists()
    print(f"reader loop: {len(answers)} queries, {during_build} during the build, "
          f"{len(answers) - first_new} on the new warehouse, 0 errors, 0 mixed answers")


@pytest.mark.slow
def test_a_build_whose_test_fails_leaves_the_published_file_unchanged(built_warehouse, tmp_path, monkeypatch):
    published = publish_copy_of(built_warehouse, tmp_path / "warehouse")
    before = sha256(published)
    modified = published.stat().st_mtime_ns
    raw = copy_raw(built_warehouse.raw_dir, tmp_path / "raw")
    # A duplicated lead fails model_rules_stg_crm__leads (its unique_key; a data test, after the models ran).
    leads = raw / "leads.parquet"
    with duckdb.connect() as connection:
        connection.execute(f"create view source as select * from read_parquet('{leads}')")
        connection.execute(f"copy (select * from source union all (select * from source "
                           f"where not coalesce(is_deleted, false) order by lead_id limit 1)) "
                           f"to '{tmp_path / 'leads.parquet'}' (format parquet)")
    shutil.move(tmp_path / "leads.parquet", leads)
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))

    outcome = CliRunner().invoke(cli.main, ["build", "--raw-dir", str(raw), "--database", str(published),
                                            "--as-of", built_warehouse.as_of])

    assert outcome.exit_code == 1, outcome.output
    flat = "".join(outcome.output.split())
    assert "model_rules_stg_crm__leads" in flat
    assert "wasnotchanged" in flat
    assert sha256(published) == before, "the published file changed"
    assert published.stat().st_mtime_ns == modified
    paths = PublishPaths(published)
    assert not PublishPaths.wal(published).exists()
    assert not paths.staging.exists()
    assert paths.failed.exists(), "the failed build is kept for inspection"
    with duckdb.connect(str(paths.failed), read_only=True) as connection:
        duplicated = connection.execute("select count(*) - count(distinct lead_id) from main_staging.stg_crm__leads")
        assert duplicated.fetchone()[0] == 1
    print(f"failed build: published sha256 {before[:16]}... unchanged")
