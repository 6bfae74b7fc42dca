"""More malformed archives, and the input limits: each refused by name, nothing written.

With tests/importer/test_damaged_archives.py this makes the corpus of
malformed archives: every one is refused with one of django-graft's own
errors, by the Python API and by graft_import (a non-zero exit), and leaves
the target database as it was.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from django_graft import import_archive
from django_graft.exceptions import GraftError
from tests import snapshots
from tests.importer.tables import archive_of
from tests.testapp.world import World

pytestmark = pytest.mark.django_db(databases=["default", "other"])

MB = 1 << 20


def every_table() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the target, not only how many: a refusal changes none."""
    return snapshots.every_table("other")


class Generated(io.RawIOBase):
    """``head``, then ``size`` bytes of ``fill``, made as they are read."""

    def __init__(self, head: bytes, fill: bytes, size: int) -> None:
        self._head, self._fill, self._left = head, fill, size
        self.given = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n], self._head = self._head[:n], self._head[n:]
            return n
        n = min(len(buffer), self._left)
        buffer[:n] = (self._fill * (n // len(self._fill) + 1))[:n]
        self._left -= n
        self.given += n
        return n


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True)


def header_not_first(data: bytes) -> bytes:
    lines = _lines(data)
    return b"".join([lines[1], lines[0], *lines[2:]])


def other_format(data: bytes) -> bytes:
    return data.replace(b'"format":"django-graft"', b'"format":"other"', 1)


def header_an_array(data: bytes) -> bytes:
    return b"[1]\n" + b"".join(_lines(data)[1:])


def version_a_string(data: bytes) -> bytes:
    return data.replace(b'"version":1', b'"version":"1"', 1)


def trailer_without_hash(data: bytes) -> bytes:
    lines = _lines(data)
    return b"".join([*lines[:-1], b'{"end":true,"counts":{}}\n'])


def end_not_true(data: bytes) -> bytes:
    lines = _lines(data)
    return b"".join([*lines[:-1], lines[-1].replace(b'"end":true', b'"end":false')])


def unknown_line(data: bytes) -> bytes:
    lines = _lines(data)
    return b"".join([*lines[:2], b'{"colour":"red"}\n', *lines[2:]])


def nul_bytes(data: bytes) -> bytes:
    lines = _lines(data)
    return b"".join([*lines[:2], b"\x00" * 20 + b"\n", *lines[2:]])


def utf16(data: bytes) -> bytes:
    return data.decode().encode("utf-16")


def deep_json(data: bytes) -> bytes:
    lines = _lines(data)
    return b"".join([*lines[:2], b"[" * 100_000 + b"]" * 100_000 + b"\n", *lines[2:]])


def deeper_than_max_depth(data: bytes) -> bytes:
    """A JSON field nested 150 deep, in an archive sealed again."""
    from tests.importer.tables import rewrite

    def change(header: Any, items: list[dict[str, Any]]) -> Any:
        sample = next(item for item in items if item.get("model") == "testapp.sample")
        deep: Any = []
        for _ in range(150):
            deep = [deep]
        sample["fields"]["data"] = deep
        return header, items

    return rewrite(data, change)


def gzip_cut(data: bytes) -> bytes:
    packed = gzip.compress(data)
    return packed[: len(packed) // 2]


def xz_cut(data: bytes) -> bytes:
    packed = lzma.compress(data)
    return packed[: len(packed) // 2]


def bz2_garbled(data: bytes) -> bytes:
    packed = bytearray(bz2.compress(data))
    packed[len(packed) // 2 : len(packed) // 2 + 16] = b"\x00" * 16
    return bytes(packed)


def gzip_not_gzip(data: bytes) -> bytes:
    return b"\x1f\x8b" + b"not gzip at all" * 10


def dangling_link(data: bytes) -> bytes:
    return data.replace(b'"lead":', b'"lead":99999,"_was":', 1)


def unknown_field(data: bytes) -> bytes:
    return data.replace(b'"name":"Acme"', b'"name":"Acme","colour":"red"', 1)


def key_is_null(data: bytes) -> bytes:
    lines = _lines(data)
    record = re.compile(rb'^(\{"model":"testapp\.organisation","pk":)\d+')
    return b"".join([lines[0], *(record.sub(rb"\1null", line) for line in lines[1:])])


CORPUS: list[tuple[Callable[[bytes], bytes], str]] = [
    (header_not_first, "Line 1 is not a django-graft header"),
    (other_format, "Line 1 is not a django-graft header .format 'other'"),
    # Read as a JSON fixture, since it is not an archive.
    (header_an_array, "The fixture is not valid JSON"),
    (version_a_string, "version '1' is not supported"),
    (trailer_without_hash, "does not match the content"),
    (end_not_true, "is neither a record, a reference nor a link"),
    (unknown_line, "is neither a record, a reference nor a link"),
    (nul_bytes, "Line 3 is not valid JSON"),
    (utf16, "The fixture is not valid YAML: 'utf-8' codec can't decode"),
    (deep_json, "Line 3 is not valid JSON"),
    (
        deeper_than_max_depth,
        r"field 'data' nests lists and objects deeper than GRAFT\['MAX_DEPTH'\]",
    ),
    (gzip_cut, "data cannot be decompressed .*: the archive is truncated or damaged"),
    (xz_cut, "data cannot be decompressed .*: the archive is truncated or damaged"),
    (bz2_garbled, "data cannot be decompressed .*: the archive is truncated or damaged"),
    (gzip_not_gzip, "data cannot be decompressed .*: the archive is truncated or damaged"),
    (dangling_link, "the archive was altered|does not match"),
    (unknown_field, "the archive was altered|does not match"),
    (key_is_null, "None is not a valid primary key for testapp.organisation"),
]


@pytest.mark.parametrize(("damage", "message"), CORPUS, ids=[d.__name__ for d, _ in CORPUS])
def test_refused_by_name_and_nothing_written(
    world: World, damage: Callable[[bytes], bytes], message: str, tmp_path: Any
) -> None:
    data = damage(archive_of(world.org))
    before = every_table()
    with pytest.raises(GraftError, match=message):
        import_archive(io.BytesIO(data), using="other", pks="remap")
    path = tmp_path / "damaged.jsonl"
    path.write_bytes(data)
    with pytest.raises(CommandError):
        call_command("graft_import", str(path), "--database", "other", stdout=io.StringIO())
    assert every_table() == before


def test_a_compression_bomb_stops_at_the_size_limit(world: World, settings: Any) -> None:
    header = _lines(archive_of(world.org))[0]
    line = b'{"ref":"contenttypes.contenttype","pk":1,"natural_key":["testapp","tag"]}\n'
    bomb = gzip.compress(header + line * 300_000)  # 22 MB of lines in well under 1 MB
    assert len(bomb) < MB
    settings.GRAFT = {"MAX_ARCHIVE_BYTES": 5 * MB}
    before = every_table()
    with pytest.raises(GraftError, match=r"larger than GRAFT\['MAX_ARCHIVE_BYTES'\]"):
        import_archive(io.BytesIO(bomb), using="other")
    assert every_table() == before


def test_a_100_mb_line_is_refused_unread(world: World) -> None:
    header = _lines(archive_of(world.org))[0]
    source = Generated(header, b"a", 100 * MB)
    with pytest.raises(GraftError, match=r"Line 2 is longer than GRAFT\['MAX_LINE_BYTES'\]"):
        import_archive(io.BufferedReader(source), using="other")
    assert source.given < 40 * MB  # read up to the limit, not the whole line
