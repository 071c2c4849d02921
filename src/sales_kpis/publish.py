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

File modes: the warehouse holds personal data (e-mail addresses, salaries).
A build keeps the mode and the group of the file it replaces (a ``chmod 600``
or ``chgrp finance`` survives rebuilds); a warehouse that did not exist yet,
the staging file and a failed copy are created without any access for other
users (the process's umask, with world access removed; docs/guides/publishing.md
says how to share one).

A build that cannot write (a path under a file, a directory without write
permission, a full disk) stops with one line naming the path and the reason
(:class:`PublishError`), and leaves no staging file or write-ahead log behind.

Only the DuckDB target is published this way; on a server target (PostgreSQL)
dbt builds in place, as before.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import shutil
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from sales_kpis.dbt_runner import DbtOptions, DbtRun, EventCallback, run_dbt
from sales_kpis.project import project_dir

#: Errors of a write that could not happen for lack of room (DuckDB reports them in its messages).
DISK_FULL = ("No space left on device", "File too large", "Disk quota exceeded")


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

    @property
    def target_path(self) -> Path:
        """dbt's target directory for builds of this file (its parse state).

        dbt re-parses the whole project when the profile changes, and the
        profile holds the file dbt builds into: a build of this file's
        staging file and a direct `dbt build` of warehouse/dev.duckdb cannot
        share one parse state. Each keeps its own (target/ for dbt run
        directly, this one for the runner), so going back and forth between
        them re-parses nothing (docs/decisions/0027-one-parse-state.md).
        Named by the file and a digest of its full path: two warehouses of
        one name in two directories keep a parse state each.
        """
        digest = hashlib.sha256(str(self.published).encode("utf-8")).hexdigest()[:12]
        return project_dir() / "target" / "publish" / f"{self.published.name}-{digest}"


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
    #: What the user should know besides the run (a group that could not be kept...).
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return build_succeeded(self.run)


def build_succeeded(run: DbtRun) -> bool:
    """dbt succeeded, raised nothing, and no model, seed or test failed or errored (warnings are fine)."""
    return run.success and run.exception is None and not run.failures


def _cannot_write(path: Path, error: OSError) -> PublishError:
    """A PublishError naming why the file `path` cannot be written: one line."""
    for parent in path.parents:
        if parent.exists() and not parent.is_dir():
            return PublishError(f"cannot write {path}: {parent} is a file, not a directory")
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return PublishError(f"cannot write {path}: {error.strerror} (the warehouse's directory must be writable "
                            "by the build)")
    return PublishError(f"cannot write {path}: {_first_line(error.strerror or error)}")


def prepare_directory(path: Path) -> None:
    """Create the directory of the file `path` if needed; PublishError (one line, naming the file) when it cannot be."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise _cannot_write(path, error) from error


def check_writable(published: Path) -> None:
    """Before a build starts: the warehouse's directory exists or can be made, and the build can write
    in it (its lock file); PublishError naming the path and the reason otherwise."""
    paths = PublishPaths(Path(published).resolve())
    prepare_directory(paths.published)
    try:
        with open(paths.lock, "a+"):
            pass
    except OSError as error:
        raise _cannot_write(paths.lock, error) from error
    if not os.access(paths.directory, os.W_OK | os.X_OK):
        raise PublishError(f"cannot write in {paths.directory}: permission denied (the warehouse's directory must "
                           "be writable by the build)")


@contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    """An exclusive, non-blocking flock on `path` (created if missing); PublishError if another build holds it."""
    prepare_directory(path)
    try:
        handle = open(path, "a+")
    except OSError as error:
        raise _cannot_write(path, error) from error
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
    shutil.rmtree(database.with_name(database.name + ".tmp"), ignore_errors=True)  # DuckDB's spill files


@contextmanager
def private_files() -> Iterator[None]:
    """Files created meanwhile get no access for other users (umask with world access removed)."""
    previous = os.umask(0)
    os.umask(previous | stat.S_IRWXO)
    try:
        yield
    finally:
        os.umask(previous)


def keep_mode_and_group(replaced: Path, replacement: Path) -> list[str]:
    """Give `replacement` the permission bits and group of `replaced` (the file it will replace).

    Returns notes: a group this user may not give (not a member) is left as it is, and said.
    """
    info = replaced.stat()
    os.chmod(replacement, stat.S_IMODE(info.st_mode))
    if replacement.stat().st_gid == info.st_gid:
        return []
    try:
        os.chown(replacement, -1, info.st_gid)
    except PermissionError:
        import grp

        try:
            group = grp.getgrgid(info.st_gid).gr_name
        except KeyError:
            group = str(info.st_gid)
        return [f"{replaced} belonged to the group {group}, which this user cannot give: the new file has the "
                f"user's group (chgrp {group} {replaced} to share it again)"]
    return []


def _first_line(error: BaseException | str) -> str:
    """An error's first line, and what to do when it says the disk is full."""
    text = str(error).strip()
    line = text.splitlines()[0] if text else type(error).__name__
    if any(marker in text for marker in DISK_FULL):
        line += " (no room left for the warehouse: free some space, then build again; nothing was left behind)"
    return line


def _disk_full(run: DbtRun) -> bool:
    texts = [run.exception or ""] + [failure.message or "" for failure in run.failures]
    return any(marker in text for text in texts for marker in DISK_FULL)


def _fsync(path: Path, directory: bool = False) -> None:
    descriptor = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def checkpoint(database: Path) -> None:
    """Fold the WAL into the database file and close it; PublishError if a WAL is left or it cannot be written."""
    import duckdb

    from sales_kpis.warehouse import read_write

    try:
        with read_write(database) as connection:
            connection.execute("checkpoint")
    except (duckdb.Error, OSError) as error:
        raise PublishError(f"cannot write {database}: {_first_line(error)}") from error
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
    on_event: EventCallback | None = None,
    extra_args: list[str] | None = None,
    fresh: bool | None = None,
    command: str = "build",
    before_build: Callable[[Path], DbtOptions] | None = None,
    after_build: Callable[[Path], None] | None = None,
) -> PublishResult:
    """`dbt build` into a staging file and publish it over options.database when everything passed.

    fresh: True = start from an empty file, False = from a copy of the
    published one, None = decide (see :func:`should_seed`). Non-DuckDB targets
    build in place (nothing to swap). on_event follows dbt's nodes
    (dbt_runner.EventCallback). before_build(published file), under the
    lock, returns the options to build with (the incremental decision reads
    the published file there); after_build(staging file) runs when the build
    passed, before the file is swapped in.
    """
    if options.target != "duckdb" or options.database is None:
        run = run_dbt(command, options, on_event=on_event, extra_args=extra_args)
        return PublishResult(run=run, published=Path(options.database or ""), built=Path(options.database or ""),
                             swapped=False, seeded=False)

    paths = PublishPaths(Path(options.database).resolve())
    if options.target_path is None:
        options = replace(options, target_path=paths.target_path)
    with exclusive_lock(paths.lock), private_files():
        # A database this process still holds (a previous in-process build)
        # must be closed before its file is copied or replaced.
        release_dbt_duckdb_handle()
        _remove(paths.staging)  # left by a build that crashed
        if before_build is not None:
            options = before_build(paths.published)
        seeded = should_seed(options, paths.published, fresh)
        try:
            if seeded:
                seed_staging(paths)
            try:
                run = run_dbt(command, replace(options, database=paths.staging), on_event=on_event,
                              extra_args=extra_args)
            finally:
                release_dbt_duckdb_handle()
        except PublishError:
            _remove(paths.staging)
            raise
        except OSError as error:  # the copy, or dbt-duckdb closing its file (a full disk)
            _remove(paths.staging)
            raise _cannot_write(paths.staging, error) from error
        except Exception as error:  # duckdb's own errors on close (a checkpoint that cannot be written)
            _remove(paths.staging)
            raise PublishError(f"cannot write {paths.staging}: {_first_line(error)}") from error
        if not build_succeeded(run) or not paths.staging.exists():
            if _disk_full(run):
                _remove(paths.staging)  # a failed copy would take the room that is missing
                return PublishResult(run=run, published=paths.published, built=paths.failed, swapped=False,
                                     seeded=seeded, notes=["the disk is full: no failed copy was kept"])
            if paths.staging.exists():
                _remove(paths.failed)
                os.replace(paths.staging, paths.failed)
                wal = PublishPaths.wal(paths.staging)
                if wal.exists():
                    os.replace(wal, PublishPaths.wal(paths.failed))
            return PublishResult(run=run, published=paths.published, built=paths.failed, swapped=False,
                                 seeded=seeded)
        try:
            if after_build is not None:
                import duckdb

                try:
                    after_build(paths.staging)
                except (duckdb.Error, OSError) as error:
                    raise PublishError(f"cannot write {paths.staging}: {_first_line(error)}") from error
            checkpoint(paths.staging)
        except PublishError:
            _remove(paths.staging)
            raise
        notes = keep_mode_and_group(paths.published, paths.staging) if paths.published.exists() else []
        swap_in(paths)
        _remove(paths.failed)  # the failure it recorded has been fixed
        return PublishResult(run=run, published=paths.published, built=paths.published, swapped=True,
                             seeded=seeded, notes=notes)


def partial_build_conflict(published: Path, settings: dict[str, str], select: list[str],
                           as_of_given: bool = True) -> str | None:
    """Why a partial build (--select) cannot run against this warehouse, or None.

    The models a partial build leaves out keep the warehouse's settings (its
    build_metadata: as-of date, reporting currency, fiscal year start,
    bookings types); selected models computed with other settings would
    disagree with them (the reconciliation tests fail, or worse, pass with
    mixed dates). So a partial build must use the warehouse's settings.
    """
    from sales_kpis.warehouse import read_only, relations

    if not published.exists():
        return None
    with read_only(published) as connection:
        found = relations(connection)
        if "build_metadata" not in found:
            return None
        cursor = connection.execute(f"select * from {found['build_metadata']}")
        names = [column[0] for column in cursor.description]
        row = cursor.fetchone()
    if row is None:
        return None
    stored = {name: "" if value is None else str(value) for name, value in zip(names, row)}
    changed = [name for name in settings if name in stored and stored[name] != settings[name]]
    if not changed:
        return None
    options = {"as_of_date": "--as-of"}
    differences = "; ".join(
        f"{name} {stored[name]} in the warehouse, {settings[name]} in this build"
        + ("" if name != "as_of_date" or as_of_given else " (no --as-of: today)")
        for name in changed)
    keep = ", ".join(f"{options.get(name, '--var ' + name + '=')}{' ' if name in options else ''}{stored[name]}"
                     for name in changed)
    return (f"--select {' '.join(select)} rebuilds part of {published}, whose other models keep its settings: "
            f"{differences}. Build everything with the new settings (leave out --select), "
            f"or keep the warehouse's: {keep}")


def build_problem(options: DbtOptions, raw_dir_named: str, as_of_given: bool) -> str | None:
    """Why a build cannot start, found before dbt starts (None when it can), naming the option:
    the target's adapter, the warehouse path, the raw-data directory (`raw_dir_named`: how the
    user gave it), the reporting currency against the data's rates, and a partial build whose
    settings differ from the warehouse's (as_of_given: whether --as-of was typed)."""
    from sales_kpis.dbt_runner import missing_adapter
    from sales_kpis.settings import build_settings
    from sales_kpis.validate import currency_without_rates

    missing = missing_adapter(options.target)
    if missing:
        return f"--target {options.target}: {missing}"
    if options.target != "duckdb":
        return None
    try:
        check_writable(Path(options.database))
    except PublishError as error:
        return str(error)
    if not Path(options.raw_dir).is_dir():
        kind = "a file, not a directory" if Path(options.raw_dir).exists() else "no such directory"
        return f"{raw_dir_named}: {kind} (sales-kpis validate --raw-dir DIR checks a raw-data directory)"
    currency = build_settings(options.variables, options.as_of)["reporting_currency"]
    reason = currency_without_rates(options.raw_dir, currency)
    if reason:
        given = "--var reporting_currency=" + currency if "reporting_currency" in options.variables else \
            f"the reporting currency {currency} (dbt_project.yml; --var reporting_currency=...)"
        return f"{given}: {reason}"
    if options.select:
        conflict = partial_build_conflict(Path(options.database), build_settings(options.variables, options.as_of),
                                          options.select, as_of_given)
        if conflict:
            return conflict
    return None
