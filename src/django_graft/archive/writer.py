"""Write archive v1 to a binary stream, hashing every line as it goes, and sign the hash."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, BinaryIO

from django_graft.archive.format import FORMAT_NAME, FORMAT_VERSION
from django_graft.archive.jsonenc import dumps, utc_dumps
from django_graft.archive.signing import sign
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


class ArchiveWriter:
    """Stream header, records and trailer; the trailer seals what came before."""

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

    def _write(self, data: bytes | bytearray) -> None:
        self._hash.update(data)
        self._stream.write(data)
        self.bytes_written += len(data)

    def header(self, header: dict[str, Any]) -> None:
        assert not self._started, "the header is written once, first"
        self._started = True
        self._write(dumps({"format": FORMAT_NAME, "version": FORMAT_VERSION, **header}) + b"\n")

    def reference(self, label: str, pk: Any, key: dict[str, Any]) -> None:
        """Write one reference record.

        ``key`` is ``{"natural_key": [...]}`` or ``{"match": {field: value}}``.
        """
        self._write(dumps({"ref": label, "pk": pk, **key}) + b"\n")
        self.references[label] += 1

    def link(self, label: str, pk: Any, fields: dict[str, Any], after: dict[str, Any]) -> None:
        """Write one link record: foreign keys of a row outside the archive, as they were.

        A delete writes them for the rows it updates (``SET_NULL`` and the
        like); ``after`` holds what the delete writes, where that is known.
        An import puts the values back.
        """
        self._write(dumps({"link": label, "pk": pk, "fields": fields, "after": after}) + b"\n")
        self.links[label] += 1

    def records(
        self, label: str, records: Sequence[dict[str, Any]], *, naive_utc: bool = False
    ) -> None:
        """Write object records of one model in one go.

        Each is ``{"model": label, "pk": ..., "fields": {...}, "role": ...}``.
        With ``naive_utc``, naive datetimes in them are written as UTC.
        """
        if records:
            self._write(encode_records(records, self._utc_dumps if naive_utc else dumps))
            self.counts[label] += len(records)

    def finish(self) -> str:
        """Write the trailer, with the sha256 and its signature; return the sha256."""
        assert self._started and not self._finished
        self._finished = True
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
