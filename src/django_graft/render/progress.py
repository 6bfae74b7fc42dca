"""Progress of a long operation: rows collected, written, read, deleted.

The operations report through :func:`stage` and :func:`advance`, which cost
next to nothing when nobody watches. A command watches with
:func:`watching`: on a terminal it redraws one status line on standard
error (at most ten times a second); at verbosity 3 it also prints each
stage's total and time, terminal or not. Anything else with the same three
methods (an admin job's progress bar, say) watches with :func:`reporting`.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Iterator
from typing import Protocol, TextIO


class Watcher(Protocol):
    """What the operations report to: stages begun, rows done, the end."""

    def stage(self, name: str, total: int | None) -> None: ...

    def advance(self, rows: int) -> None: ...

    def finish(self) -> None: ...


class Progress:
    """Draws the status line of the current stage."""

    interval = 0.1

    def __init__(self, stream: TextIO, *, bar: bool, summaries: bool) -> None:
        self.stream = stream
        self.bar = bar
        self.summaries = summaries
        self.name = ""
        self.total: int | None = None
        self.done = 0
        self.started = time.monotonic()
        self._drawn = 0.0
        self._width = 0

    def stage(self, name: str, total: int | None) -> None:
        self.finish()
        self.name, self.total, self.done = name, total, 0
        self.started = time.monotonic()

    def advance(self, rows: int) -> None:
        self.done += rows
        now = time.monotonic()
        if self.bar and now - self._drawn >= self.interval:
            self._drawn = now
            self._draw()

    def _draw(self) -> None:
        if self.total:
            share = min(self.done / self.total, 1.0)
            filled = int(share * 30)
            text = (
                f"{self.name} [{'#' * filled}{'.' * (30 - filled)}] "
                f"{self.done}/{self.total} rows ({share:.0%})"
            )
        else:
            text = f"{self.name}: {self.done} rows"
        self.stream.write("\r" + text.ljust(self._width))
        self.stream.flush()
        self._width = len(text)

    def finish(self) -> None:
        """End the current stage: clear its line, and summarise it at verbosity 3."""
        if not self.name:
            return
        if self.bar and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self._width = 0
        if self.summaries:
            elapsed = time.monotonic() - self.started
            self.stream.write(f"{self.name}: {self.done} rows in {elapsed:.2f}s\n")
        self.stream.flush()
        self.name = ""


_current: contextvars.ContextVar[Watcher | None] = contextvars.ContextVar(
    "graft_progress", default=None
)


def stage(name: str, total: int | None = None) -> None:
    """Begin a stage (``"collecting"``, ``"writing"``, ...) of ``total`` rows if known."""
    progress = _current.get()
    if progress is not None:
        progress.stage(name, total)


def advance(rows: int) -> None:
    """Count ``rows`` more rows done in the current stage."""
    progress = _current.get()
    if progress is not None:
        progress.advance(rows)


@contextlib.contextmanager
def watching(stream: TextIO, *, verbosity: int, enabled: bool) -> Iterator[None]:
    """Show the progress of what runs inside, as ``verbosity`` and the terminal allow.

    A bar needs verbosity 1 or more, ``enabled`` and a terminal on
    ``stream``; verbosity 3 adds a line per stage anywhere.
    """
    is_terminal = getattr(stream, "isatty", lambda: False)()
    bar = enabled and verbosity >= 1 and is_terminal
    summaries = verbosity >= 3
    if not (bar or summaries):
        yield
        return
    with reporting(Progress(stream, bar=bar, summaries=summaries)):
        yield


@contextlib.contextmanager
def reporting(watcher: Watcher) -> Iterator[None]:
    """Report the progress of what runs inside to ``watcher``; finish it at the end."""
    token = _current.set(watcher)
    try:
        yield
    finally:
        watcher.finish()
        _current.reset(token)
