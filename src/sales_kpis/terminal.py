"""What the command line prints: a console that never cuts a line, and progress that also works piped.

- :func:`make_console`: on a terminal, rich's console as usual; piped (CI,
  ``make demo``, a log file) it never wraps: a test name, a path or a message
  stays on one line, and tables take the width of their content.
- :func:`literal`: a data value (a stage name, a path, a dbt message) made
  safe to put in console markup: ``[/x]`` or ``[link=...]`` in a value is
  printed as written, never read as markup.
- :class:`Progress`: one line of progress. On a terminal it is a live status
  line; piped, it prints a line when the work starts, at most every
  ``interval`` seconds while it runs, and when a step says so (``force``),
  never the same line twice in a row.
- :class:`DbtProgress`: that line for a dbt run, from dbt's events: nodes
  done of the total, and the slowest node still running.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.markup import escape

#: Piped output: the seconds between two progress lines (a CI log gets a line
#: every 15 s of a long build, not one per node).
PIPED_INTERVAL = 15.0
#: Terminal: how often the live line is redrawn (the running node's seconds tick).
LIVE_INTERVAL = 1.0


def make_console(**options: Any) -> Console:
    """A rich console; when stdout is not a terminal, lines are never wrapped or cut."""
    console = Console(highlight=False, **options)
    if not console.is_terminal:
        console = Console(highlight=False, soft_wrap=True, width=1_000_000, **options)
    return console


def literal(value: object) -> str:
    """A value as console markup that prints it literally."""
    return escape(str(value))


class Progress:
    """A progress line: live on a terminal, rate-limited lines when piped. Use as a context manager."""

    def __init__(self, console: Console, text: str, interval: float = PIPED_INTERVAL,
                 clock: Callable[[], float] = time.monotonic):
        self.console = console
        self.text = text
        self.interval = interval
        self.clock = clock
        self.live = console.is_terminal
        self._status = None
        self._last_line: float | None = None
        self._printed: str | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> Progress:
        if self.live:
            self._status = self.console.status(literal(self.text))
            self._status.__enter__()
        else:
            self._print(self.text)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        if self._status is not None:
            self._status.__exit__(*exc_info)
            self._status = None

    def update(self, text: str, force: bool = False) -> None:
        """Show text: redraw the live line, or print it when piped and `interval` has passed (or force)."""
        with self._lock:
            self.text = text
            if self._status is not None:
                self._status.update(literal(text))
            elif text != self._printed and (force or self._last_line is None
                                            or self.clock() - self._last_line >= self.interval):
                self._print(text)

    def _print(self, text: str) -> None:
        self._last_line = self.clock()
        self._printed = text
        self.console.print(f"[dim]{literal(text)}[/dim]")


@dataclass
class DbtProgress:
    """Turns dbt's node events into a progress line: "dbt build: 12/193 nodes done, slowest running: x (14 s)"."""

    progress: Progress
    command: str = "build"
    clock: Callable[[], float] = time.monotonic
    total: int | None = None
    done: int = 0
    running: dict[str, float] = field(default_factory=dict)
    started: float | None = None
    _ticker: threading.Thread | None = None
    _stop: threading.Event = field(default_factory=threading.Event)

    def text(self) -> str:
        elapsed = f"{self.clock() - self.started:.0f} s" if self.started is not None else "0 s"
        if self.total is None:
            return f"dbt {self.command}: starting (parsing the project, running its start hooks), {elapsed}"
        line = f"dbt {self.command}: {self.done}/{self.total} nodes done in {elapsed}"
        if self.running:
            name, started = min(self.running.items(), key=lambda item: item[1])
            line += f", slowest running: {name} ({self.clock() - started:.0f} s)"
        return line

    def on_event(self, kind: str, name: str = "", total: int | None = None) -> None:
        """kind: "total" (the run's node count), "start" or "finish" (a node)."""
        if kind == "total":
            self.total = total
            self.progress.update(self.text(), force=True)
            return
        if kind == "start":
            self.running[name] = self.clock()
        elif kind == "finish":
            self.running.pop(name, None)
            self.done += 1
        self.progress.update(self.text())

    def __enter__(self) -> DbtProgress:
        self.started = self.clock()
        self.progress.text = self.text()
        self.progress.__enter__()
        # The line changes while a slow node runs (its seconds), with no event:
        # a ticker redraws it (and, piped, prints it at the piped rate).
        self._ticker = threading.Thread(target=self._tick, name="sales-kpis-progress", daemon=True)
        self._ticker.start()
        return self

    def _tick(self) -> None:
        while not self._stop.wait(LIVE_INTERVAL):
            self.progress.update(self.text())

    def __exit__(self, *exc_info: Any) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        if self.total is not None and not self.progress.live:
            self.progress.update(self.text(), force=True)
        self.progress.__exit__(*exc_info)
