"""Files the runner writes for people (exports, the dashboard page): private by default, replaced whole.

They hold names, attainment and OTE figures, so a new file gets the
permissions the user's umask allows, without any for others: with umask 022
a file is 0640 (owner reads and writes, group reads), with 077 it is 0600.
A file that is replaced keeps its mode and, where the user may set it, its
group: whoever opened an export to a group or to everybody (``chmod``,
``chgrp``) keeps it open on the next run.

The file is written beside its destination under a temporary name and
renamed over it at the end, so a reader never sees half a file, and a
failure leaves the previous file as it was.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

#: Permission bits a new file never gets: read, write and execute for others.
NOT_FOR_OTHERS = stat.S_IRWXO


def current_umask() -> int:
    """The process's umask (read by setting it and setting it back)."""
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def new_file_mode() -> int:
    """The mode of a new file: what the umask allows of 0666, nothing for others."""
    return 0o666 & ~current_umask() & ~NOT_FOR_OTHERS


@contextlib.contextmanager
def replaced(destination: Path) -> Iterator[Path]:
    """A temporary path beside destination to write; renamed over destination when the block succeeds.

    Mode: the replaced file's (and its group, where allowed), else :func:`new_file_mode`.
    """
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(prefix=f".{destination.name}.", suffix=".part", dir=destination.parent)
    os.close(descriptor)
    scratch = Path(name)
    try:
        yield scratch
        try:
            previous = destination.stat()
        except FileNotFoundError:
            os.chmod(scratch, new_file_mode())
        else:
            os.chmod(scratch, stat.S_IMODE(previous.st_mode))
            with contextlib.suppress(PermissionError):
                os.chown(scratch, -1, previous.st_gid)
        os.replace(scratch, destination)
    finally:
        scratch.unlink(missing_ok=True)
