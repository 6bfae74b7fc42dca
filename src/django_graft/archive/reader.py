"""Read archive v1 back, verifying format, version, trailer and hash."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import repeat
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


#: Called with the number of a block's first line and the block's lines, after
#: the header, in order; takes the records it can without their lines being
#: parsed and returns, for each line, its model label if it took it, or None
#: to have it parsed and visited.
Skimmer = Callable[[int, list[bytes]], list[str | None]]


#: Called with the number of a block's first line, the block's lines, each
#: parsed, and each one's model label, for a block of record lines only (a
#: string ``model`` each, and no ``ref``, ``link`` or ``end``); takes them all
#: as the visitor would, one by one, and returns True, or takes none and
#: returns False to have them visited one by one (which finds what is wrong).
Taker = Callable[[int, list[bytes], list[dict[str, Any]], list[str]], bool]


#: Lines read at most, and bytes read about, before a block is handled: the
#: skimmer sees lines a block at a time, so that its work per line is in C.
_BLOCK_LINES = 1024
_BLOCK_BYTES = 1 << 20


def read_archive(
    stream: BinaryIO,
    *,
    keep_records: bool = False,
    visit: Visitor | None = None,
    on_header: Callable[[dict[str, Any]], None] | None = None,
    skim: Skimmer | None = None,
    take: Taker | None = None,
) -> ArchiveSummary:
    """Verify a whole archive; return its header, counts and (optionally) records.

    A truncated or edited archive is refused with the line at fault.
    ``on_header`` sees the header as soon as it is read; ``visit`` sees each
    record and reference line. Neither can trust what it saw until this
    function returns: the hash is checked at the end. ``skim`` sees the
    lines after the header a block at a time, first, and may take records
    without their lines being parsed, as the visitor never could (the
    lines are hashed and counted all the same). ``take``, given with
    ``visit``, sees blocks of record lines in its stead (see :data:`Taker`).
    """
    reading = _Reading(stream, keep_records, visit, on_header, take)
    progress.stage("reading")
    size = SizeCheck()
    left, longest = size.left, size.longest
    block: list[bytes] = []
    budget = 0  # the header is handled alone, as it decides how the rest is read
    number = 0  # of the last line handled
    for raw in lines_of(stream):
        length = len(raw)
        left -= length
        if left < 0 or length > longest:
            # The lines before it are judged first.
            number = reading.block(number, block, skim if reading.header else None)
            if reading.summary is not None:  # the line follows the trailer
                raise ArchiveFormatError(
                    f"Data follows the trailer on line {number}.", line=number + 1
                )
            raise size.refuse(length, number + 1)
        block.append(raw)
        budget -= length
        if budget < 0 or len(block) == _BLOCK_LINES:
            number = reading.block(number, block, skim if reading.header else None)
            if reading.summary is not None:
                return reading.summary
            progress.advance(len(block))
            block, budget = [], _BLOCK_BYTES
    number = reading.block(number, block, skim)
    if reading.summary is not None:
        return reading.summary
    if reading.header is None:
        raise ArchiveFormatError("The archive is empty.", line=1)
    raise ArchiveFormatError(
        f"The archive ends at line {number} without a trailer: it is truncated.", line=number
    )


def _parsed(block: list[bytes]) -> list[Any] | None:
    """The block's lines parsed, or None where one is cut short or is not JSON."""
    if not block[-1].endswith(b"\n"):  # the only line that may not is a stream's last
        return None
    try:
        return list(map(loads, block))
    except (ValueError, RecursionError):
        return None


def _parse(number: int, raw: bytes) -> Any:
    """Line ``number`` parsed; refused where it is cut short or is not JSON."""
    if not raw.endswith(b"\n"):
        raise ArchiveFormatError(
            f"Line {number} is cut short: the archive is truncated.", line=number
        )
    try:
        return loads(raw)
    except (ValueError, RecursionError) as exc:
        raise ArchiveFormatError(
            f"Line {number} is not valid JSON ({type(exc).__name__}: {exc}).", line=number
        ) from None


def _counted(
    number: int, lines: list[bytes], items: list[dict[str, Any]], labels: list[str]
) -> bool:
    """Take records with nothing to visit them: they are counted, as :meth:`_Reading.line` would."""
    return True


class _Reading:
    """What :func:`read_archive` has read so far, and how it reads one more line."""

    def __init__(
        self,
        stream: BinaryIO,
        keep_records: bool,
        visit: Visitor | None,
        on_header: Callable[[dict[str, Any]], None] | None,
        take: Taker | None = None,
    ) -> None:
        self.stream = stream
        self.keep_records = keep_records
        self.visit = visit
        self.on_header = on_header
        #: How a block of record lines is taken at once: by ``take``, or,
        #: with nothing to visit them, by counting them.
        self.take: Taker | None = take if visit is not None else _counted
        self.digest = hashlib.sha256()
        #: Lines read and not yet hashed: hashed a block at a time, as a call
        #: a line cost a quarter of a microsecond each.
        self.unhashed: list[bytes] = []
        self.header: dict[str, Any] | None = None
        self.records: list[dict[str, Any]] = []
        self.counts: dict[str, int] = {}
        self.references: dict[str, int] = {}
        self.links: dict[str, int] = {}
        self.summary: ArchiveSummary | None = None

    def block(self, number: int, block: list[bytes], skim: Skimmer | None) -> int:
        """Handle the lines after line ``number``; return the number of the last one."""
        if not block:
            return number
        parsed = None
        if skim is None and self.header is not None and self.take is not None:
            parsed = _parsed(block)
            if parsed is not None and self._records(number + 1, block, parsed):
                self.hash_read()
                return number + len(block)
        taken: list[str | None] = (
            skim(number + 1, block) if skim is not None else [None] * len(block)
        )
        line = self.line
        start = 0
        # Runs of lines the skimmer took are hashed and counted in one go.
        for at in [at for at, label in enumerate(taken) if label is None]:
            if at > start:
                self._taken(block[start:at], taken[start:at])
            line(number + at + 1, block[at], None if parsed is None else parsed[at])
            start = at + 1
            if self.summary is not None:
                if start < len(block) or self.stream.read(1):
                    raise ArchiveFormatError(
                        f"Data follows the trailer on line {number + start}.",
                        line=number + start + 1,
                    )
                return number + start
        if start < len(block):
            self._taken(block[start:], taken[start:])
        self.hash_read()
        return number + len(block)

    def _records(self, number: int, block: list[bytes], items: list[Any]) -> bool:
        """Take a block of record lines in one go, each check in C; False if it is not one.

        Such a block, line ``number`` first, is every block but the last of
        an archive, and taking it in one go rather than line by line saves
        most of the Python work of reading it. A block that is not (a
        reference, a link, the trailer, a line out of shape) is left to
        :meth:`line`, untouched, which finds the first line at fault.
        """
        if set(map(type, items)) != {dict} or any(
            any(map(dict.__contains__, items, repeat(key))) for key in ("end", "ref", "link")
        ):
            return False
        labels: list[Any] = list(map(dict.get, items, repeat("model")))
        assert self.take is not None
        if set(map(type, labels)) != {str} or not self.take(number, block, items, labels):
            return False
        self.unhashed.extend(block)
        counts = self.counts
        for label, count in Counter(labels).items():
            counts[label] = counts.get(label, 0) + count
        if self.keep_records:
            self.records.extend(items)
        return True

    def _taken(self, lines: list[bytes], labels: list[str | None]) -> None:
        """Hash and count record lines a skimmer took."""
        self.unhashed.extend(lines)
        counts = self.counts
        for label, count in Counter(labels).items():
            assert label is not None
            counts[label] = counts.get(label, 0) + count
        if self.keep_records:
            self.records.extend(map(loads, lines))

    def line(self, number: int, raw: bytes, item: Any = None) -> None:
        """Check and file one line, parsed (``item``: as it was parsed already, if it was)."""
        if item is None:
            item = _parse(number, raw)
        if type(item) is not dict:
            raise ArchiveFormatError(f"Line {number} is not a JSON object.", line=number)
        if self.header is None:
            self._header(item, raw)
            return
        if "end" in item and item["end"] is True:
            self._trailer(item, number)
            return
        self.unhashed.append(raw)
        if "ref" in item:
            label = str(item["ref"])
            self.references[label] = self.references.get(label, 0) + 1
        elif "model" in item:
            label = str(item["model"])
            self.counts[label] = self.counts.get(label, 0) + 1
        elif "link" in item:
            label = str(item["link"])
            self.links[label] = self.links.get(label, 0) + 1
        else:
            raise ArchiveFormatError(
                f"Line {number} is neither a record, a reference nor a link.", line=number
            )
        if self.keep_records:
            self.records.append(item)
        if self.visit is not None:
            self.visit(number, raw, item)

    def _header(self, item: dict[str, Any], raw: bytes) -> None:
        if item.get("format") != FORMAT_NAME:
            raise ArchiveFormatError(
                f"Line 1 is not a django-graft header (format {item.get('format')!r}).", line=1
            )
        if item.get("version") != FORMAT_VERSION:
            raise ArchiveFormatError(
                f"Archive format version {item.get('version')!r} is not supported; this "
                f"django-graft reads version {FORMAT_VERSION}.",
                line=1,
            )
        self.header = item
        self.unhashed.append(raw)
        if self.on_header is not None:
            self.on_header(item)

    def hash_read(self) -> None:
        """Add the lines read since the last call to the digest."""
        self.digest.update(b"".join(self.unhashed))
        self.unhashed.clear()

    def _trailer(self, item: dict[str, Any], number: int) -> None:
        self.hash_read()
        if item.get("sha256") != self.digest.hexdigest():
            raise ArchiveFormatError(
                f"The sha256 in the trailer (line {number}) does not match the content: "
                "the archive was altered.",
                line=number,
            )
        if (
            item.get("counts") != self.counts
            or item.get("references", {}) != self.references
            or item.get("links", {}) != self.links
        ):
            raise ArchiveFormatError(
                f"The counts in the trailer (line {number}) do not match the records.",
                line=number,
            )
        assert self.header is not None
        self.summary = ArchiveSummary(
            self.header,
            self.counts,
            self.references,
            item["sha256"],
            number,
            self.records,
            self.links,
            signature=item.get("signature"),
        )
