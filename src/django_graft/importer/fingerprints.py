"""Fingerprints a sync compares: of an archive's records, and of rows as stored here.

A record's fingerprint tells whether the source changed a row since the last
sync (the ledger keeps the one it was synced from); a stored row's tells
whether this database changed it (the ledger keeps the one it held once
written).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db import connections
from django.db.models import Model

from django_graft.db.batching import chunked, key_batch_size
from django_graft.db.fetch import rows_in


def record_fingerprints(spool: Any) -> dict[Any, str]:
    """``{key: sha256 of its record}`` for every record of ``spool``.

    The record as the archive holds it, byte for byte: an exporter that
    writes the same row otherwise (another release) makes it look changed,
    which costs a comparison, never a wrong answer.
    """
    spool.file.seek(0)
    sha256 = hashlib.sha256
    digests = [sha256(line.rstrip(b"\n")).hexdigest() for line in spool.file]
    return dict(zip(spool.order, digests, strict=True))


def fingerprints(model: type[Model], keys: list[Any], using: str) -> dict[Any, str]:
    """``{key: sha256 of the row's stored values}`` for the rows of ``model`` at ``keys``.

    Every column of the model's own table but its key counts, as this
    database returns it, so a change to any of them shows.
    """
    pk: Any = model._meta.pk
    attnames = [f.attname for f in model._meta.local_concrete_fields if f is not pk]
    found: dict[Any, str] = {}
    for batch in chunked(keys, key_batch_size(connections[using])):
        for row in rows_in(model, pk, batch, ["pk", *attnames], using):
            values = json.dumps([_plain(value) for value in row[1:]], sort_keys=True, default=str)
            found[row[0]] = hashlib.sha256(values.encode()).hexdigest()
    return found


def _plain(value: Any) -> Any:
    """A value JSON can hold as it is, where ``str()`` would not say the same each time."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return value
