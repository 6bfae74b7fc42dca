"""An archive that never leaves the process: what an export writes, filed per model.

A clone exports a tree and imports it straight back. Writing one archive and
then reading, hashing and parsing every line of it again to sort it into
one spool per model would check bytes this process wrote a moment ago; the
spooler instead takes the export's calls (header, references, records,
links) and files each record into its model's spool as it comes, encoded
exactly as the archive would hold it. The import then reads the spools as
it reads those of a verified archive.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django_graft.archive.jsonenc import dumps, loads, utc_dumps
from django_graft.archive.writer import encode_records
from django_graft.exceptions import ArchiveFormatError
from django_graft.importer.scalars import key_decoder
from django_graft.importer.source import ArchiveContents, Sorter


class ArchiveSpooler:
    """Stands in for :class:`~django_graft.archive.writer.ArchiveWriter`."""

    def __init__(self) -> None:
        self._sorter = Sorter()
        self._header: dict[str, Any] = {}
        self._utc_dumps = utc_dumps()

    def header(self, header: dict[str, Any]) -> None:
        # Through JSON and back, as the importer would read it from a file.
        self._header = loads(dumps(header))

    def reference(self, label: str, pk: Any, key: dict[str, Any], *, by_key: bool = False) -> None:
        """File a reference; ``by_key``: a fixture's link by key to a row outside it."""
        sorter = self._sorter
        try:
            encoded = dumps({"ref": label, "pk": pk, **key})
        except TypeError:
            raise ArchiveFormatError(
                f"{label} {pk!r}: a key an archive cannot hold (integers have at most 64 bits)."
            ) from None
        sorter.visit(0, b"", loads(encoded))
        if by_key:
            sorter.references[sorter._model(label, 0)][-1].by_key = True

    def records(
        self, label: str, records: Sequence[dict[str, Any]], *, naive_utc: bool = False
    ) -> None:
        if not records:
            return
        sorter = self._sorter
        spool = sorter._by_label.get(label) or sorter._new_spool(sorter._model(label, 0), label)
        encode = self._utc_dumps if naive_utc else dumps
        spool.file.write(encode_records(records, encode))
        keys = [record["pk"] for record in records]
        if not (spool.integer_key and set(map(type, keys)) <= {int}):
            decode = key_decoder(spool.model)  # the keys as an archive would give them back
            keys = [decode(loads(encode(key))) for key in keys]
        spool.remember(keys)
        roles = [record["role"] == "own" for record in records]
        spool.order.extend(keys)
        spool.needed.extend(key for key, own in zip(keys, roles, strict=True) if not own)
        for name, targets in spool.generic_targets.items():
            values = (record["fields"].get(name) for record in records)
            targets.update(value for value in values if type(value) in (int, str))

    def link(self, label: str, pk: Any, fields: dict[str, Any], after: dict[str, Any]) -> None:
        item = loads(dumps({"link": label, "pk": pk, "fields": fields, "after": after}))
        self._sorter.visit(0, b"", item)

    def finish(self) -> str:
        return ""

    def close(self) -> None:
        """Remove what was spooled: the fixture was refused."""
        for spool in self._sorter.spools.values():
            spool.close()

    def contents(self) -> ArchiveContents:
        """The spooled archive, for :func:`~django_graft.importer.run.import_contents`."""
        sorter = self._sorter
        return ArchiveContents(self._header, "", sorter.references, sorter.spools, sorter.links)
