"""A ``COPY`` that ends, then lets Python work while the server finishes it.

Once the last rows are sent, PostgreSQL still files those it has not
filed yet and, at the statement's end, checks the foreign keys checked
there (:mod:`.earlychecks`): for a chunk of a few thousand rows, tens of
milliseconds. psycopg's writer sends the end of the data and waits for the
result in one call; the writer here sends the end, runs ``meanwhile``, and
only then waits, so the server's work and Python's overlap.

psycopg documents writers (``copy(writer=…)``) and their ``finish()``; what
``finish()`` does is its own: the generator that ends a ``COPY``
(``psycopg.generators.copy_end``) and the cursor's results, set as
``LibpqWriter.finish`` sets them. Where either is not there (another
psycopg), the writer sends as it goes and ``meanwhile`` runs before the
end, as it did before.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any


def ending_writer(cursor: Any, meanwhile: Callable[[], None]) -> Any:
    """A writer for psycopg ``cursor``'s ``copy()``: ``meanwhile`` runs once the end is sent.

    It runs once, before ``copy()`` returns; where the ``COPY`` fails, it
    may not have run. Each block of rows is sent as it is made.
    """
    return _writer_class()(cursor, meanwhile)


_classes: list[type] = []


def _writer_class() -> type:
    """The writer's class, made once psycopg is imported (it is there on PostgreSQL only)."""
    if not _classes:
        _classes.append(_make_class())
    return _classes[0]


def _make_class() -> type:
    # Imported here: psycopg is there on PostgreSQL only.
    from psycopg.copy import LibpqWriter
    from psycopg.waiting import Wait

    ending: Callable[..., Generator[Any, Any, Any]] | None
    try:
        from psycopg.generators import copy_end as ending
    except ImportError:  # another psycopg: meanwhile runs before the end
        ending = None

    class EndingWriter(LibpqWriter):
        def __init__(self, cursor: Any, meanwhile: Callable[[], None]) -> None:
            try:
                super().__init__(cursor, flush_threshold=0)
            except TypeError:  # an older psycopg, without the setting: as it sends
                super().__init__(cursor)
            self.meanwhile: Callable[[], None] | None = meanwhile
            self.ends_first = ending is not None and hasattr(cursor, "_results")

        def finish(self, exc: BaseException | None = None) -> None:
            if exc is not None or not self.ends_first:
                if exc is None:
                    try:
                        self._run_meanwhile()
                    except BaseException as error:  # Ctrl-C: the COPY fails, as psycopg fails it
                        super().finish(error)
                        raise
                super().finish(exc)
                return
            assert ending is not None
            stopped: list[BaseException] = []
            result = self.connection.wait(self._ending(ending(self._pgconn, None), stopped))
            if stopped:
                raise stopped[0]
            self.cursor._results = [result]
            self._run_meanwhile()  # where the result came before any wait

        def _ending(
            self, ending: Generator[Any, Any, Any], stopped: list[BaseException]
        ) -> Generator[Any, Any, Any]:
            """``ending``, with ``meanwhile`` run once the end is sent, as it waits to read.

            What ``meanwhile`` raises past ``Exception`` (Ctrl-C) goes to
            ``stopped``, raised once the result is read: the connection is
            then ready for the rollback that follows.
            """
            sent = None
            try:
                while True:
                    wait = ending.send(sent)
                    if wait == Wait.R and not stopped:
                        try:
                            self._run_meanwhile()
                        except BaseException as error:
                            stopped.append(error)
                    sent = yield wait
            except StopIteration as stop:
                return stop.value

        def _run_meanwhile(self) -> None:
            meanwhile, self.meanwhile = self.meanwhile, None
            if meanwhile is not None:
                meanwhile()

    return EndingWriter
