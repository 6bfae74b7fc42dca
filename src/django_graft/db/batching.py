"""Batch sizes taken from what the database backend allows.

A graph walk sends one query per edge per batch of keys; the bigger the
batch the backend accepts, the fewer the queries. The limit is read from the
connection, never assumed: SQLite builds differ (999 before 3.32, 32,766
after, more in some distributions), PostgreSQL has no limit with client-side
binding and 65,535 with server-side binding.
"""

from __future__ import annotations

import decimal
import re
import sqlite3
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from django.db.backends.base.base import BaseDatabaseWrapper

from django_graft.conf import graft_settings

T = TypeVar("T")

#: Used when the backend reports no limit: big enough that a graph walk's
#: query count is flat for any realistic tree, small enough to keep one
#: statement's size reasonable.
UNLIMITED_BATCH = 65_535

#: Parameters kept free in every query for the filters next to the key list.
_HEADROOM = 16


def _sqlite_limit(connection: BaseDatabaseWrapper) -> int:
    """The most parameters SQLite takes, asked of the driver's connection.

    ``connection.connection`` is the DB-API connection Django opened
    (undocumented); its ``getlimit()`` is the ``sqlite3`` module's.
    """
    connection.ensure_connection()
    raw = connection.connection
    getlimit = getattr(raw, "getlimit", None)  # Python 3.11+
    if getlimit is not None:
        return int(getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))  # type: ignore[attr-defined,unused-ignore]
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA compile_options")
        for (option,) in cursor.fetchall():
            found = re.fullmatch(r"MAX_VARIABLE_NUMBER=(\d+)", option)
            if found:
                return int(found.group(1))
    return 32_766 if sqlite3.sqlite_version_info >= (3, 32, 0) else 999


def max_query_params(connection: BaseDatabaseWrapper) -> int:
    """Return how many parameters one query may carry on ``connection``."""
    if connection.vendor == "sqlite":
        return _sqlite_limit(connection)
    limit = connection.features.max_query_params
    return int(limit) if limit else UNLIMITED_BATCH


def key_batch_size(connection: BaseDatabaseWrapper, columns_per_key: int = 1) -> int:
    """Return how many keys fit in one ``IN`` list on ``connection``."""
    configured = graft_settings.BATCH_SIZE
    if configured:
        return configured
    room = max(max_query_params(connection) - _HEADROOM, 1)
    return max(room // max(columns_per_key, 1), 1)


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Yield lists of at most ``size`` items."""
    if isinstance(items, list):  # slicing is much faster than appending one by one
        for start in range(0, len(items), size):
            yield items[start : start + size]
        return
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def key_order(key: Any) -> tuple[Any, ...]:
    """A sort key for keys of any type: numbers as numbers (9 before 10), others as text.

    Keys of one model are of one type, but a list may mix models (blockers) or
    hold tuples (composite keys), which compare part by part the same way.
    """
    if isinstance(key, tuple):
        return (2, tuple(key_order(part) for part in key))
    if isinstance(key, int | float | decimal.Decimal) and not isinstance(key, bool):
        return (0, key)
    return (1, str(key))


def sorted_keys(keys: Iterable[T]) -> list[T]:
    """Sort keys for reproducible output, tolerating keys that do not compare."""
    items = list(keys)
    try:
        return sorted(items)  # type: ignore[type-var]
    except TypeError:
        return sorted(items, key=key_order)
