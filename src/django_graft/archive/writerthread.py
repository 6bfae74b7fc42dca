"""Make, encode, hash, compress and write an archive's records on a thread of their own.

An export spends its time in two places: waiting for the database, and
turning rows into compressed JSON Lines. The two can overlap. The
database drivers release the GIL while they wait, and zstandard and
hashlib release it while they work, so a second thread that turns the
rows read into lines and writes them runs beside the reading rather than
after it. The database is only ever used by the thread that reads: no
connection is shared between threads.

Jobs run in the order they were given, so the lines are written in that
order. What a job runs is the library's own: making records of plain
values, encoding them, writing them. Code of the project's (a policy's
masks, a custom field's ``value_to_string``) runs in the reading thread,
which has the connection, the language and the time zone the caller
activated (see :class:`~django_graft.operations.exportrows.RecordChunk`).
A bounded queue keeps the reader at most ``ROWS_AHEAD`` rows ahead,
which bounds the memory the handoff costs. An error in the thread (a
value JSON cannot hold, a full disk) is raised in the reader at its next
hand-off, or when it waits for the end.
"""

from __future__ import annotations

import contextvars
import queue
import threading
from collections.abc import Callable

#: What a job gives: the bytes to write.
Job = Callable[[], bytes | bytearray]

#: Rows the reader may be ahead of the writing, so that the writing goes on
#: while the next query reads. The driver holds a query's rows beside them
#: (a batch of up to 65,535 keys): this adds at most half of that.
ROWS_AHEAD = 32_768

#: Bytes gathered before they are written. Hashing and compressing let the
#: GIL go, and taking it back may wait for the reader's turn to end: written
#: a chunk at a time, a million rows spent longer waiting than working.
WRITE_AT = 4 << 20


class WriterThread:
    """Run jobs in order on one thread, passing what each returns to ``write``.

    At most ``depth`` jobs wait to be run; :meth:`submit` waits while as many do.
    """

    def __init__(self, write: Callable[[bytes | bytearray], object], *, depth: int) -> None:
        self._write = write
        self._jobs: queue.Queue[Job | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._abandoned = False
        # Jobs run in a copy of the context of the thread that made the writer
        # (what a tracer keeps in context variables follows them). A daemon: a
        # writer its owner never closed must not keep the process alive.
        context = contextvars.copy_context()
        self._thread = threading.Thread(
            target=context.run, args=(self._run,), name="graft-archive-writer", daemon=True
        )
        self._thread.start()

    def submit(self, job: Job) -> None:
        """Queue ``job`` (waiting while the queue is full); raise the thread's error, if any."""
        self._raise_error()
        if not self._thread.is_alive():
            raise RuntimeError("The archive writer was closed: nothing more can be written.")
        self._jobs.put(job)

    def join(self) -> None:
        """Wait until every job is written; raise the thread's error, if any."""
        self._stop()
        self._raise_error()

    def abandon(self) -> None:
        """Stop without writing what is still queued (the archive is given up)."""
        self._abandoned = True
        self._stop()

    def _stop(self) -> None:
        if self._thread.is_alive():
            # The thread takes every job, written or not: this put cannot wait forever.
            self._jobs.put(None)
            self._thread.join()

    def _raise_error(self) -> None:
        if self._error is not None:
            self._abandoned = True  # first: what follows the error is never written
            error, self._error = self._error, None
            raise error

    def _run(self) -> None:
        gathered = bytearray()
        while True:
            job = self._jobs.get()
            if job is None:
                break
            if self._error is None and not self._abandoned:
                gathered = self._gather(gathered, job)
            job = None  # the chunk it holds is not kept while the next is awaited
        if gathered and self._error is None and not self._abandoned:
            try:
                self._write(gathered)
            except BaseException as exc:  # raised again in the reader
                self._error = exc

    def _gather(self, gathered: bytearray, job: Job) -> bytearray:
        """Add what ``job`` gives to ``gathered``, written once there is enough of it."""
        try:
            data = job()
            if self._abandoned:  # given up while the job ran
                return gathered
            if not gathered and len(data) >= WRITE_AT:  # large enough as it is: not copied
                self._write(data)
                return gathered
            gathered += data
            if len(gathered) >= WRITE_AT:
                self._write(gathered)
                return bytearray()
        except BaseException as exc:  # raised again in the reader
            self._error = exc
        return gathered
