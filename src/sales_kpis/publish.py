"""Safe publishing of the DuckDB warehouse: build beside it, swap it in when every test passed.

BI tools read the *published* file (``--database``, default
``warehouse/sales_kpis.duckdb``). A build never writes to it:

1. It takes an exclusive lock (``<file>.lock``, ``flock``): one build per
   published file at a time; readers never touch the lock.
2. It builds into a *staging* file in the same directory
   (``<stem>.building<suffix>``). Unless the build is a full refresh of the
   whole project, the staging file starts as a copy of the published one, so
   incremental models continue from the last good state and a
   ``--select`` build keeps the models it does not select; a full refresh, or
   a first build, starts from an empty file (stale relations of removed
   models are dropped and the file's free space is reclaimed).
3. When ``dbt build`` succeeded with no failing model or test, it closes
   dbt-duckdb's handle, checkpoints the staging file (no ``.wal`` left) and
   fsyncs it, then renames it over the published file with :func:`os.replace`
   (one ``rename(2)``, atomic on POSIX because both are in one directory).
4. When anything failed, the published file is untouched; the staging file is
   kept as ``<stem>.failed<suffix>`` so the failing rows can be inspected.

Readers that opened the old file keep reading it (they hold its inode) until
they reconnect; a reader that connects after the rename sees the new build. No
reader ever sees a half-built file, and no reader blocks the build (they lock
a different file). DuckDB's raw views hold absolute paths of the raw files,
never the database's own path, so they keep working after the rename.

Only the DuckDB target is published this way; on a server target (PostgreSQL)
dbt builds in place, as before.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from sales_kpis.dbt_runner import DbtOptions, DbtRun, run_dbt


class PublishError(RuntimeError):
    """The build could not be published (another build holds the lock, a WAL survived a checkpoint...)."""


@dataclass(frozen=True)
class PublishPaths:
    """The files of one published warehouse."""

    published: Path

    @property
    def directory(self) -> Path:
        return self.published.parent

    def _sibling(self, tag: str) -> Path:
        return self.published.with_name(f"{self.published.stem}.{tag}{self.published.suffix}")

    @property
    def staging(self) -> Path:
        return self._sibling("building")

    @property
    def failed(self) -> Path:
        return self._sibling("failed")

    @property
    def lock(self) -> Path:
        return self.published.with_name(self.published.name + ".lock")

    @staticmethod
    def wal(database: Path) -> Path:
        return database.with_name(database.name + ".wal")


@dataclass
class PublishResult:
    """What a build did to the published file."""

    run: DbtRun
    published: Path
    #: The file dbt built into: the staging file, or the failed copy after a failure.
    built: Path
    #: True when the build passed and is now the published file.
    swapped: bool
    #: True when the staging file started as a copy of the published one.
    seeded: bool

    @property
    def ok(self) -> bool:
        return build_succeeded(self.run)


def build_succeeded(run: DbtRun) -> bool:
    """dbt succeeded, raised nothing, and no model, seed or test failed or errored (warnings are fine)."""
    return run.success and run.exception is None and not run.failures


@contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    """An exclusive, non-blocking flock on `path` (created if missing); PublishError if another build holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise PublishError(f"another build is publishing {path.name[:-len('.lock')]} (lock {path})") from error
            raise
        yield
    finally:
        handle.close()  # closing releases the lock; the file stays (unlinking it would race with a waiting build)


def release_dbt_duckdb_handle() -> None:
    """Close the DuckDB database dbt-duckdb keeps open in this process after a run.

    dbt-duckdb keeps one process-wide environment (and its DuckDB instance)
    open between invocations (dbt's own end-of-run clean-up closes the
    connections, not that database); closing it checkpoints the file and
    releases its lock, so the file can be renamed, read read-only, or rebuilt.

    Only dbt-duckdb's public classmethods: ``env()`` (the open environment;
    it raises when there is none) and ``close_all_connections()`` (forgets it,
    as dbt-duckdb does at exit), then the environment's own ``close()``. Called
    between dbt runs only (under the publish lock; a run is synchronous), so
    no dbt thread opens a connection meanwhile.
    """
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # dbt-duckdb not installed: nothing is open
        return
    try:
        environment = DuckDBConnectionManager.env()
    except Exception:  # "environment requested before creation": nothing is open
        return
    DuckDBConnectionManager.close_all_connections()
    environment.close()


def _remove(database: Path) -> None:
    for path in (database, PublishPaths.wal(database)):
        path.unlink(missing_ok=True)


def _fsync(path: Path, directory: bool = False) -> None:
    descriptor = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def checkpoint(database: Path) -> None:
    """Fold the WAL into the database file and close it; PublishError if a WAL is left."""
    from sales_kpis.warehouse import read_write

    with read_write(database) as connection:
        connection.execute("checkpoint")
    if PublishPaths.wal(database).exists():
        raise PublishError(f"{database} still has a write-ahead log after a checkpoint: is it open elsewhere?")
    _fsync(database)


def seed_staging(paths: PublishPaths) -> None:
    """Start the staging file as a copy of the published one (its WAL too, if someone left one)."""
    shutil.copyfile(paths.published, paths.staging)
    wal = PublishPaths.wal(paths.published)
    if wal.exists():
        shutil.copyfile(wal, PublishPaths.wal(paths.staging))


def swap_in(paths: PublishPaths) -> None:
    """Atomically replace the published file by the (checkpointed) staging file."""
    # A WAL beside the published file belongs to the old file (someone wrote
    # to it): it must not be replayed onto the new one. Removing it first
    # leaves, at worst, a reader on the old file without those foreign writes.
    PublishPaths.wal(paths.published).unlink(missing_ok=True)
    os.replace(paths.staging, paths.published)
    _fsync(paths.directory, directory=True)


def should_seed(options: DbtOptions, published: Path, fresh: bool | None = None) -> bool:
    """Copy the published file first, unless there is none or this is a full refresh of the whole project."""
    if not published.exists():
        return False
    if fresh is not None:
        return not fresh
    return not (options.full_refresh and not options.select)


def build_and_publish(
    options: DbtOptions,
    on_node_finished: Callable[[str, str], None] | None = None,
    extra_args: list[str] | None = None,
    fresh: bool | None = None,
    command: str = "build",
    before_build: Callable[[Path], DbtOptions] | None = None,
    after_build: Callable[[Path], None] | None = None,
) -> PublishResult:
    """`dbt build` into a staging file and publish it over options.database when everything passed.

    fresh: True = start from an empty file, False = from a copy of the
    published one, None = decide (see :func:`should_seed`). Non-DuckDB targets
    build in place (nothing to swap). before_build(published file), under the
    lock, returns the options to build with (the incremental decision reads
    the published file there); after_build(staging file) runs when the build
    passed, before the file is swapped in.
    """
    if options.target != "duckdb" or options.database is None:
        run = run_dbt(command, options, on_node_finished=on_node_finished, extra_args=extra_args)
        return PublishResult(run=run, published=Path(options.database or ""), built=Path(options.database or ""),
                             swapped=False, seeded=False)

    paths = PublishPaths(Path(options.database).resolve())
    with exclusive_lock(paths.lock):
        # A database this process still holds (a previous in-process build)
        # must be closed before its file is copied or replaced.
        release_dbt_duckdb_handle()
        _remove(paths.staging)  # left by a build that crashed
        if before_build is not None:
            options = before_build(paths.published)
        seeded = should_seed(options, paths.published, fresh)
        if seeded:
            seed_staging(paths)
        try:
            run = run_dbt(command, replace(options, database=paths.staging),
                          on_node_finished=on_node_finished, extra_args=extra_args)
        finally:
            release_dbt_duckdb_handle()
        if not build_succeeded(run) or not paths.staging.exists():
            if paths.staging.exists():
                _remove(paths.failed)
                os.replace(paths.staging, paths.failed)
                wal = PublishPaths.wal(paths.staging)
                if wal.exists():
                    os.replace(wal, PublishPaths.wal(paths.failed))
            return PublishResult(run=run, published=paths.published, built=paths.failed, swapped=False,
                                 seeded=seeded)
        if after_build is not None:
            after_build(paths.staging)
        checkpoint(paths.staging)
        swap_in(paths)
        _remove(paths.failed)  # the failure it recorded has been fixed
        return PublishResult(run=run, published=paths.published, built=paths.published, swapped=True,
                             seeded=seeded)
