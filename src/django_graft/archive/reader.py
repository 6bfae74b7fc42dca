"""Read archive v1 back, verifying format, version, trailer and hash."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from django_graft.archive.format import FORMAT_NAME, FORMAT_VERSION
from django_graft.archive.jsonenc import loads
from django_graft.archive.limits import SizeCheck, lines_of
from django_graft.archive.signing import Signature, state_of
from django_graft.exceptions import ArchiveFormatError
from django_graft.render import progress


@dataclass
class ArchiveSummary:
    """What a verified archive holds."""

    header: dict[str, Any]
    counts: dict[str, int]
    references: dict[str, int]
    sha256: str
    lines: int
    records: list[dict[str, Any]] = field(default_factory=list, repr=False)
    #: {model label: link records}, rows outside the archive a delete changed
    links: dict[str, int] = field(default_factory=dict)
    #: The trailer's ``signature``, as it is (None in an unsigned archive).
    signature: Any = field(default=None, repr=False)

    @property
    def signature_state(self) -> Signature:
        """Whether this installation signed the archive (read from the settings now)."""
        return state_of(self.sha256, self.signature)


#: Called with ``(line number, raw line, parsed item)`` for every record and
#: reference, in order, after its line has been checked.
Visitor = Callable[[int, bytes, dict[str, Any]], None]


#: Lines read between two progress reports.
_PROGRESS_EVERY = 4096


def read_archive(
    stream: BinaryIO,
    *,
    keep_records: bool = False,
    visit: Visitor | None = None,
    on_header: Callable[[dict[str, Any]], None] | None = None,
) -> ArchiveSummary:
    """Verify a whole archive; return its header, counts and (optionally) records.

    A truncated or edited archive is refused with the line at fault.
    ``on_header`` sees the header as soon as it is read; ``visit`` sees each
    record and reference line. Neither can trust what it saw until this
    function returns: the hash is checked at the end.
    """
    digest = hashlib.sha256()
    header: dict[str, Any] | None = None
    records: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    references: dict[str, int] = {}
    links: dict[str, int] = {}
    last = 0
    update = digest.update  # the loop runs once per row: names bound once
    progress.stage("reading")
    size = SizeCheck()
    for number, raw in enumerate(lines_of(stream), start=1):
        last = number
        size.left -= len(raw)
        if size.left < 0 or len(raw) > size.longest:
            raise size.refuse(len(raw), number)
        if not number % _PROGRESS_EVERY:
            progress.advance(_PROGRESS_EVERY)
        if not raw.endswith(b"\n"):
            raise ArchiveFormatError(
                f"Line {number} is cut short: the archive is truncated.", line=number
            )
        try:
            item = loads(raw)
        except (ValueError, RecursionError) as exc:
            raise ArchiveFormatError(
                f"Line {number} is not valid JSON ({type(exc).__name__}: {exc}).", line=number
            ) from None
        if type(item) is not dict:
            raise ArchiveFormatError(f"Line {number} is not a JSON object.", line=number)
        if header is None:
            if item.get("format") != FORMAT_NAME:
                raise ArchiveFormatError(
                    f"Line 1 is not a django-graft header (format {item.get('format')!r}).",
                    line=1,
                )
            if item.get("version") != FORMAT_VERSION:
                raise ArchiveFormatError(
                    f"Archive format version {item.get('version')!r} is not supported; this "
                    f"django-graft reads version {FORMAT_VERSION}.",
                    line=1,
                )
            header = item
            digest.update(raw)
            if on_header is not None:
                on_header(item)
            continue
        if "end" in item and item["end"] is True:
            if item.get("sha256") != digest.hexdigest():
                raise ArchiveFormatError(
                    f"The sha256 in the trailer (line {number}) does not match the content: "
                    "the archive was altered.",
                    line=number,
                )
            if (
                item.get("counts") != counts
                or item.get("references", {}) != references
                or item.get("links", {}) != links
            ):
                raise ArchiveFormatError(
                    f"The counts in the trailer (line {number}) do not match the records.",
                    line=number,
                )
            if stream.read(1):
                raise ArchiveFormatError(
                    f"Data follows the trailer on line {number}.", line=number + 1
                )
            return ArchiveSummary(
                header,
                counts,
                references,
                item["sha256"],
                number,
                records,
                links,
                signature=item.get("signature"),
            )
        update(raw)
        if "ref" in item:
            label = str(item["ref"])
            references[label] = references.get(label, 0) + 1
        elif "model" in item:
            label = str(item["model"])
            counts[label] = counts.get(label, 0) + 1
        elif "link" in item:
            label = str(item["link"])
            links[label] = links.get(label, 0) + 1
        else:
            raise ArchiveFormatError(
                f"Line {number} is neither a record, a reference nor a link.", line=number
            )
        if keep_records:
            records.append(item)
        if visit is not None:
            visit(number, raw, item)
    if header is None:
        raise ArchiveFormatError("The archive is empty.", line=1)
    raise ArchiveFormatError(
        f"The archive ends at line {last} without a trailer: it is truncated.", line=last
    )
