"""Write archive v1 to a binary stream, hashing every line as it goes, and sign the hash.

Records are encoded, hashed and written on a thread of their own (see
:mod:`~django_graft.archive.writerthread`), while the caller reads the next.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, BinaryIO

from django_graft.archive.format import FORMAT_NAME, FORMAT_VERSION
from django_graft.archive.jsonenc import dumps, utc_dumps
from django_graft.archive.signing import sign
from django_graft.archive.writerthread import ROWS_AHEAD, WriterThread
from django_graft.conf import graft_settings
from django_graft.exceptions import ArchiveError


def encode_records(records: Sequence[dict[str, Any]], encode: Callable[[Any], bytes]) -> bytearray:
    """The records as JSON Lines; a value JSON cannot hold is an error naming its field.

    Each encoded line is copied into one buffer and dropped at once: holding
    thousands of orjson's results alive (as a join over them would) costs
    more than encoding them.
    """
    buffer = bytearray()
    try:
        for record in records:
            buffer += encode(record)
            buffer += b"\n"
    except TypeError:
        raise _unencodable(records, encode) from None
    return buffer


def _unencodable(records: Sequence[dict[str, Any]], encode: Callable[[Any], bytes]) -> ArchiveError:
    for record in records:
        for name, value in record.get("fields", {}).items():
            try:
                encode(value)
            except TypeError:
                return ArchiveError(
                    f"{record['model']} {record['pk']!r}: field '{name}' holds a value of type "
                    f"{type(value).__name__}, which an archive cannot hold. Give the field a "
                    "value_to_string() that returns text (as Django's serializers need), or "
                    "mask it in the policy."
                )
        try:
            encode(record["pk"])
        except TypeError:
            return ArchiveError(
                f"{record['model']}: the primary key {record['pk']!r} is of type "
                f"{type(record['pk']).__name__}, which an archive cannot hold."
            )
    raise AssertionError("a record failed to encode")  # pragma: no cover


#: Bytes of short lines handed to the writing thread at once.
LINES_AT_ONCE = 1 << 16


class ArchiveWriter:
    """Stream header, records and trailer; the trailer seals what came before.

    Used as a context manager: leaving it without :meth:`finish` (an error
    while the rows were read) stops the writing thread and writes nothing more.
    """

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._hash = hashlib.sha256()
        self.counts: Counter[str] = Counter()
        self.references: Counter[str] = Counter()
        self.links: Counter[str] = Counter()
        self.bytes_written = 0
        self._started = False
        self._finished = False
        self._utc_dumps = utc_dumps()
        # A job is a chunk of rows as the database gives them (CHUNK_SIZE).
        depth = max(2, ROWS_AHEAD // graft_settings.CHUNK_SIZE)
        self._thread = WriterThread(self._write, depth=depth)
        # Short lines (header, references, links) go to the thread a buffer at a time.
        self._lines = bytearray()

    def __enter__(self) -> ArchiveWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._thread.abandon()  # nothing once finished; else what is queued is dropped

    def _write(self, data: bytes | bytearray) -> None:
        # On the writing thread.
        self._hash.update(data)
        self._stream.write(data)
        self.bytes_written += len(data)

    def header(self, header: dict[str, Any]) -> None:
        assert not self._started, "the header is written once, first"
        self._started = True
        self._line(dumps({"format": FORMAT_NAME, "version": FORMAT_VERSION, **header}))

    def reference(self, label: str, pk: Any, key: dict[str, Any]) -> None:
        """Write one reference record.

        ``key`` is ``{"natural_key": [...]}`` or ``{"match": {field: value}}``.
        """
        self._line(dumps({"ref": label, "pk": pk, **key}))
        self.references[label] += 1

    def link(self, label: str, pk: Any, fields: dict[str, Any], after: dict[str, Any]) -> None:
        """Write one link record: foreign keys of a row outside the archive, as they were.

        A delete writes them for the rows it updates (``SET_NULL`` and the
        like); ``after`` holds what the delete writes, where that is known.
        An import puts the values back.
        """
        self._line(dumps({"link": label, "pk": pk, "fields": fields, "after": after}))
        self.links[label] += 1

    def records(
        self, label: str, records: Sequence[dict[str, Any]], *, naive_utc: bool = False
    ) -> None:
        """Write object records of one model in one go.

        Each is ``{"model": label, "pk": ..., "fields": {...}, "role": ...}``.
        With ``naive_utc``, naive datetimes in them are written as UTC.
        """
        if records:
            self._hand_over_lines()
            encode = self._utc_dumps if naive_utc else dumps
            # The records are the thread's from here: the caller builds new ones for the next chunk.
            self._thread.submit(lambda: encode_records(records, encode))
            self.counts[label] += len(records)

    def finish(self) -> str:
        """Write the trailer, with the sha256 and its signature; return the sha256."""
        assert self._started and not self._finished
        self._finished = True
        self._hand_over_lines()
        self._thread.join()
        digest = self._hash.hexdigest()
        trailer = {
            "end": True,
            "counts": dict(sorted(self.counts.items())),
            "references": dict(sorted(self.references.items())),
            **({"links": dict(sorted(self.links.items()))} if self.links else {}),
            "sha256": digest,
            # Outside what the sha256 covers: it signs the sha256 itself.
            "signature": sign(digest),
        }
        self._stream.write(dumps(trailer) + b"\n")
        return digest

    def _line(self, encoded: bytes) -> None:
        self._lines += encoded
        self._lines += b"\n"
        if len(self._lines) >= LINES_AT_ONCE:
            self._hand_over_lines()

    def _hand_over_lines(self) -> None:
        if self._lines:
            lines, self._lines = self._lines, bytearray()
            self._thread.submit(lambda: lines)
