"""The input limits of ``GRAFT``: archive size, line length, nesting depth.

An archive comes from outside; reading one must not let it take unbounded
memory or time. Lines are read with a length cap, so a line longer than
``MAX_LINE_BYTES`` is refused without being held whole; the bytes read are
counted after decompression, so an archive (or a compression bomb) past
``MAX_ARCHIVE_BYTES`` stops there; and a value nested deeper than
``MAX_DEPTH`` (the content of a JSON field: the rest of a record has a fixed
shape, checked where it is read) is refused before it is used.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import partial
from typing import Any, BinaryIO

from django_graft.conf import graft_settings
from django_graft.exceptions import ArchiveFormatError


def too_large(limit: int, number: int) -> ArchiveFormatError:
    where = f" at line {number}" if number else ""
    return ArchiveFormatError(
        f"The archive is larger than GRAFT['MAX_ARCHIVE_BYTES'] ({limit} bytes, "
        f"decompressed){where}. Raise the limit if the archive is trusted.",
        line=number or None,
    )


def lines_of(stream: BinaryIO) -> Iterator[bytes]:
    """The lines of ``stream``, none read past ``MAX_LINE_BYTES`` (plus one byte).

    A C-level iterator, for the hot loop of reading an archive; the caller
    passes each line's length to :func:`check_size`.
    """
    return iter(partial(stream.readline, graft_settings.MAX_LINE_BYTES + 1), b"")


class SizeCheck:
    """Counts the bytes of the lines read; refuses a line, or a total, past the limits."""

    def __init__(self) -> None:
        self.longest = graft_settings.MAX_LINE_BYTES
        self.left = graft_settings.MAX_ARCHIVE_BYTES

    def refuse(self, size: int, number: int) -> ArchiveFormatError:
        if size > self.longest:
            return ArchiveFormatError(
                f"Line {number} is longer than GRAFT['MAX_LINE_BYTES'] ({self.longest} "
                "bytes). Raise the limit if the archive is trusted.",
                line=number,
            )
        return too_large(graft_settings.MAX_ARCHIVE_BYTES, number)


def limited_lines(stream: BinaryIO) -> Iterator[bytes]:
    """The lines of ``stream``, each refused when longer, all when larger, than the limits."""
    check = SizeCheck()
    for number, raw in enumerate(lines_of(stream), start=1):
        check.left -= len(raw)
        if len(raw) > check.longest or check.left < 0:
            raise check.refuse(len(raw), number)
        yield raw


#: How much a whole-document read asks for at a time.
READ_CHUNK = 1 << 20


def read_limited(stream: BinaryIO) -> bytearray:
    """All of ``stream`` (a document parsed whole), refused past ``MAX_ARCHIVE_BYTES``.

    Read a chunk at a time, so that memory follows what the stream holds:
    asking for the limit at once would allocate it (16 GiB by default).
    """
    largest = graft_settings.MAX_ARCHIVE_BYTES
    data = bytearray()
    while chunk := stream.read(min(READ_CHUNK, largest + 1 - len(data))):
        data += chunk
        if len(data) > largest:
            raise too_large(largest, 1)
    return data


def _depth(value: Any, limit: int, level: int = 1) -> int:
    if level > limit:
        return level
    if isinstance(value, dict):
        return max((_depth(v, limit, level + 1) for v in value.values()), default=level)
    if isinstance(value, list):
        return max((_depth(v, limit, level + 1) for v in value), default=level)
    return level - 1


def nests_within(values: Iterable[Any], limit: int) -> bool:
    """Whether none of ``values`` nests lists and objects deeper than ``limit``.

    A level of every value at a time, without a call per value: a column
    of a JSON field is checked as a whole, and only a column that fails is
    looked at value by value, to name the one at fault.
    """
    containers = [value for value in values if isinstance(value, list | dict)]
    depth = 0
    while containers:
        depth += 1
        if depth > limit:
            return False
        containers = [
            inner
            for outer in containers
            for inner in (outer.values() if isinstance(outer, dict) else outer)
            if isinstance(inner, list | dict)
        ]
    return True


def check_depth(value: Any, where: str) -> None:
    """Refuse a value (a JSON field's, say) nested deeper than ``MAX_DEPTH``."""
    limit = graft_settings.MAX_DEPTH
    if isinstance(value, list | dict) and _depth(value, limit) > limit:
        raise ArchiveFormatError(
            f"{where} nests lists and objects deeper than GRAFT['MAX_DEPTH'] ({limit})."
        )
