"""The archive a delete writes first: exported, read back and verified.

It holds what an export of the roots holds, plus a link record for each row
outside the tree whose foreign key the delete changes, so that importing
the archive with the keys kept puts back every table as it was.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from django_graft.archive.reader import read_archive
from django_graft.archive.writer import ArchiveWriter
from django_graft.exceptions import ArchiveError, DestinationError
from django_graft.operations.export import ExportResult, LinkRecord, write_graph
from django_graft.operations.installation import installation_id
from django_graft.storage import Destination, describe, open_for_read, open_for_write
from django_graft.tree.graph import Graph
from django_graft.tree.outside import Outside


def link_records(outside: Outside) -> Iterator[LinkRecord]:
    """One link record per outside row the delete updates, in a stable order."""
    for update in sorted(outside.updates, key=lambda u: u.label):
        label = update.label.rsplit(".", 1)[0]
        name = update.field.name
        known, written = update.written_value()
        after = {name: written} if known else {}
        for pk, value in update.rows:
            yield label, pk, {name: value}, after


def write_verified(graph: Graph, outside: Outside, destination: Destination) -> ExportResult:
    """Write the archive of a delete to ``destination`` and check it reads back as written.

    Raises :class:`~django_graft.ArchiveError` if it does not: the caller
    deletes nothing then.
    """
    where = describe(destination)
    start = _start_of(destination)
    try:
        with open_for_write(destination) as stream, ArchiveWriter(stream) as writer:
            digest = write_graph(
                graph, writer, link_records(outside), installation=installation_id(graph.using)
            )
    except DestinationError as exc:
        if exc.reason is None:
            raise
        # The archive must be read back: standard output is no fix here.
        raise DestinationError(
            f"Cannot write the archive to '{exc.path}': {exc.reason}. Nothing was deleted. "
            "Give a path in an existing, writable directory.",
            path=exc.path,
            reason=exc.reason,
        ) from None
    if start is not None:
        destination.seek(start)  # type: ignore[union-attr]
    try:
        with open_for_read(destination) as stream:
            summary = read_archive(stream)
    except ArchiveError as exc:
        raise ArchiveError(
            f"The archive written to {where} does not read back: {exc.message} Nothing was deleted."
        ) from None
    if summary.sha256 != digest or summary.counts != dict(writer.counts):
        raise ArchiveError(
            f"The archive written to {where} reads back different from what was written. "
            "Nothing was deleted. Check the storage, and write the archive elsewhere."
        )
    return ExportResult(
        destination=where,
        sha256=digest,
        counts=dict(sorted(writer.counts.items())),
        references=dict(sorted(writer.references.items())),
        bytes_written=writer.bytes_written,
        graph=graph,
    )


def _start_of(destination: Destination) -> int | None:
    """Where a file object's archive starts; refuse a destination that cannot be read back."""
    if isinstance(destination, str) and destination == "-":
        raise DestinationError(
            "A delete cannot archive to standard output: the archive must be read back and "
            "verified before anything is deleted. Give a path.",
            path="-",
        )
    if isinstance(destination, str | os.PathLike):
        return None
    stream: Any = destination
    seekable = getattr(stream, "seekable", lambda: False)()
    if not (seekable and hasattr(stream, "read")):
        raise DestinationError(
            f"A delete cannot archive to {describe(destination)}: the archive must be read "
            "back and verified before anything is deleted. Give a path, or a file opened "
            "for reading and writing.",
            path=describe(destination),
        )
    return int(stream.tell())
