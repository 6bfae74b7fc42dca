"""The ledger's entries of one model, as a sync reads them: where each archive row went.

A sync reads every entry of a tree and looks at most of them once, for
where the row went and whether its record is the one last synced. On
SQLite, where those columns cost more to turn into Python values than to
read, a tree's entries come back as one row per model
(:func:`joined_entries`): each column joined into one string, split again
in C (:func:`split`). Another database, or entries that do not read back
cleanly that way, are read row by row (the ledger's ``_rows_read``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from itertools import compress
from operator import not_
from typing import Any

import orjson
from django.db import DatabaseError, connections

from django_graft.db.batching import chunked, key_batch_size
from django_graft.db.keyspan import within_64_bits
from django_graft.models import GraftLedgerEntry


@dataclass(frozen=True)
class Entry:
    """Where one archive row went."""

    target: Any
    #: "own", or "need" for a needed row the sync created (found again, never pruned).
    role: str = "own"


#: Reads ``{archive key: fingerprint}`` of some of a model's entries from the ledger.
PrintReader = Callable[[Collection[Any]], dict[Any, str]]


@dataclass
class ReadEntries:
    """One model's entries as read, column by column, in the same order."""

    keys: list[Any]
    targets: list[Any]
    #: The sha256 of the archive record each row was last synced from.
    sources: list[str]
    #: Whether each entry is of an owned row.
    owned: list[bool]


class Entries(Mapping[Any, Entry]):
    """The entries of one model, ``{archive key: entry}``, kept as one dict per column.

    An :class:`Entry` is made only for a key asked for by itself. The
    fingerprints of the rows here are read only for the few rows a sync
    looks at (:meth:`fingerprints`).
    """

    def __init__(self, read: ReadEntries, read_prints: PrintReader) -> None:
        #: {archive key: key here}
        self.targets: dict[Any, Any] = dict(zip(read.keys, read.targets, strict=True))
        #: The archive keys of needed rows (the rest are owned).
        self.needed: set[Any] = set(compress(read.keys, map(not_, read.owned)))
        self._read_prints = read_prints
        self._prints: dict[Any, str] = {}

    def __getitem__(self, key: Any) -> Entry:
        return Entry(self.targets[key], "need" if key in self.needed else "own")

    def __iter__(self) -> Iterator[Any]:
        return iter(self.targets)

    def __len__(self) -> int:
        return len(self.targets)

    def __contains__(self, key: object) -> bool:
        return key in self.targets

    def get(self, key: Any, default: Any = None) -> Any:
        return self[key] if key in self.targets else default

    def fingerprints(self, keys: Collection[Any]) -> dict[Any, str]:
        """``{archive key: sha256 of the row's values once written}`` of the entries of ``keys``."""
        unread = [key for key in keys if key in self.targets and key not in self._prints]
        if unread:
            self._prints.update(self._read_prints(unread))
        return {key: self._prints[key] for key in keys if key in self._prints}

    def owned_targets(self) -> dict[Any, Any]:
        """``{archive key: key here}`` of the entries of owned rows."""
        needed = self.needed
        if not needed:
            return dict(self.targets)
        return {key: target for key, target in self.targets.items() if key not in needed}


#: The length of a sha256 written in hexadecimal, as the ledger keeps them.
_PRINT_LENGTH = 64


@dataclass(frozen=True)
class Joined:
    """A model's entries as one row: each column's values joined into one string."""

    count: int
    keys: str
    targets: str
    sources: str
    owned: str


def joined_entries(
    using: str, source: str, tree: str, integer_keys: Callable[[str], bool]
) -> dict[str, Joined | None] | None:
    """``{model label: its entries joined}`` of a tree, in one query; None but on SQLite.

    A model whose entries would not split cleanly has None: they are read
    row by row, which names any entry at fault. ``integer_keys`` tells the
    labels of models whose key is one integer column.

    SQLite feeds every aggregate of a group the rows in the same order, so
    the n-th value of each joined column is of the same entry.
    """
    connection = connections[using]
    if connection.vendor != "sqlite":
        return None
    table = connection.ops.quote_name(GraftLedgerEntry._meta.db_table)
    # With, per model, how many fingerprints are of another length.
    sql = (
        "SELECT model, count(*), group_concat(source_key, ','), group_concat(target_key, ','), "
        "group_concat(source_fingerprint, ''), group_concat(role = 'own', ''), "
        f"sum(length(source_fingerprint) != {_PRINT_LENGTH}) "
        f"FROM {table} WHERE source = %s AND tree = %s GROUP BY model ORDER BY model"
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, [source, tree])
            rows = cursor.fetchall()
    except DatabaseError:  # joined past SQLite's longest string: read row by row
        return None
    others = [row[0] for row in rows if not integer_keys(row[0])]
    try:
        unclean = _unclean_keys(connection, table, source, tree, others)
    except DatabaseError:  # an SQLite without its JSON functions: read row by row
        unclean = set(others)
    return {row[0]: None if row[6] or row[0] in unclean else Joined(*row[1:6]) for row in rows}


def _unclean_keys(
    connection: Any, table: str, source: str, tree: str, labels: list[str]
) -> set[str]:
    """Which of ``labels`` have an entry whose keys are not one JSON value each.

    Joined, a key holding a comma could pass for two, and the next two for
    one. Integer keys need no such check: a list of n integers, joined
    from n entries, has one in each, as :func:`split` makes sure.
    """
    unclean: set[str] = set()
    for batch in chunked(labels, max(key_batch_size(connection) - 2, 1)):
        sql = (
            "SELECT model FROM {table} WHERE source = %s AND tree = %s AND model IN ({places}) "
            "GROUP BY model HAVING sum(NOT json_valid(source_key) OR NOT json_valid(target_key))"
        ).format(table=table, places=", ".join(["%s"] * len(batch)))
        with connection.cursor() as cursor:
            cursor.execute(sql, [source, tree, *batch])
            unclean.update(row[0] for row in cursor.fetchall())
    return unclean


def split(joined: Joined, decode: Callable[[Any], Any] | None) -> ReadEntries | None:
    """The entries of :func:`joined_entries`, decoded; None where they do not split cleanly.

    Every key is JSON, so the joined keys read back as one JSON list, and
    every fingerprint is 64 characters, so the joined ones split by length.
    ``decode`` turns a key as JSON reads it into the model's own (None: the
    model's key is one integer column, and JSON integers are those keys).
    Anything else gives None, and the caller reads the rows one by one,
    naming any entry at fault.
    """
    count, sources = joined.count, joined.sources
    try:
        keys = orjson.loads(f"[{joined.keys}]")
        targets = orjson.loads(f"[{joined.targets}]")
    except orjson.JSONDecodeError:
        return None
    if (
        len(keys) != count
        or len(targets) != count
        or len(sources) != count * _PRINT_LENGTH
        or len(joined.owned) != count
    ):
        return None
    if decode is None:
        if not set(map(type, keys)) | set(map(type, targets)) <= {int}:
            return None
        if not (within_64_bits(keys) and within_64_bits(targets)):
            return None  # no row's key: named row by row
    else:
        try:
            keys, targets = list(map(decode, keys)), list(map(decode, targets))
        except (ValueError, TypeError, OverflowError):
            return None
    size = len(sources)
    ends = range(_PRINT_LENGTH, size + 1, _PRINT_LENGTH)
    prints = list(map(sources.__getitem__, map(slice, range(0, size, _PRINT_LENGTH), ends)))
    return ReadEntries(keys, targets, prints, list(map("1".__eq__, joined.owned)))
