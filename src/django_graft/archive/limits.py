"""The input limits of ``GRAFT``: archive size, line length, nesting depth.

An archive comes from outside; reading one must not let it take unbounded
memory or time. Lines are read with a length cap, so a line longer than
``MAX_LINE_BYTES`` is refused without being held whole; the bytes read are
counted after decompression, so an archive (or a compression bomb) past
``MAX_ARCHIVE_BYTES`` stops there; and a record nested deeper than
``MAX_DEPTH`` is refused before anything looks inside it.
"""

from __future__ import annotations

from collections.abc import Iterator
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


def limited_lines(stream: BinaryIO) -> Iterator[bytes]:
    """The lines of ``stream``, each refused when longer, all when larger, than the limits."""
    longest, largest = graft_settings.MAX_LINE_BYTES, graft_settings.MAX_ARCHIVE_BYTES
    readline = stream.readline
    total = number = 0
    while raw := readline(longest + 1):
        number += 1
        total += len(raw)
        if len(raw) > longest:
            raise ArchiveFormatError(
                f"Line {number} is longer than GRAFT['MAX_LINE_BYTES'] ({longest} bytes). "
                "Raise the limit if the archive is trusted.",
                line=number,
            )
        if total > largest:
            raise too_large(largest, number)
        yield raw


def read_limited(stream: BinaryIO) -> bytes:
    """All of ``stream`` (a document parsed whole), refused past ``MAX_ARCHIVE_BYTES``."""
    largest = graft_settings.MAX_ARCHIVE_BYTES
    data = stream.read(largest + 1)
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


def check_depth(raw: bytes, item: Any, number: int) -> None:
    """Refuse ``item`` (parsed from line ``raw``) if nested deeper than ``MAX_DEPTH``.

    Only a line with more brackets than the limit can be that deep, and
    counting brackets is cheap; the walk runs for those lines alone.
    """
    limit = graft_settings.MAX_DEPTH
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return
    if _depth(item, limit) > limit:
        raise ArchiveFormatError(
            f"Line {number} nests lists and objects deeper than GRAFT['MAX_DEPTH'] ({limit}).",
            line=number,
        )
