"""Write archive v1 to a binary stream, hashing every line as it goes."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from typing import Any, BinaryIO

from .format import FORMAT_NAME, FORMAT_VERSION
from .jsonenc import dumps


class ArchiveWriter:
    """Stream header, records and trailer; the trailer seals what came before."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._hash = hashlib.sha256()
        self.counts: Counter[str] = Counter()
        self.references: Counter[str] = Counter()
        self.bytes_written = 0
        self._started = False
        self._finished = False

    def _write(self, data: bytes) -> None:
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

    def records(self, label: str, records: Iterable[tuple[Any, dict[str, Any], str]]) -> None:
        """Write object records ``(pk, fields, role)`` of one model in one go."""
        lines = [
            dumps({"model": label, "pk": pk, "fields": fields, "role": role})
            for pk, fields, role in records
        ]
        if lines:
            self._write(b"\n".join(lines) + b"\n")
            self.counts[label] += len(lines)

    def finish(self) -> str:
        """Write the trailer and return the archive's sha256."""
        assert self._started and not self._finished
        self._finished = True
        digest = self._hash.hexdigest()
        trailer = {
            "end": True,
            "counts": dict(sorted(self.counts.items())),
            "references": dict(sorted(self.references.items())),
            "sha256": digest,
        }
        self._stream.write(dumps(trailer) + b"\n")
        return digest
