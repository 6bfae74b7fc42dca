"""Whether an SQLite database may have changed, told without reading any table."""

from __future__ import annotations

from typing import Any

from django.db import DatabaseError
from django.db.backends.base.base import BaseDatabaseWrapper


def change_stamp(connection: BaseDatabaseWrapper) -> tuple[Any, ...] | None:
    """How many rows this connection changed, and how often others committed, on SQLite.

    Two counters SQLite keeps (``total_changes()``, ``PRAGMA data_version``),
    read in one statement that costs the same however large the tables
    are, where counting rows reads them all. They move with any write to
    the database, whatever the table. The connection itself is part of the
    stamp: the counters of another connection say nothing. None where this
    SQLite cannot read them.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT total_changes(), data_version FROM pragma_data_version")
            changes, version = cursor.fetchone()
    except DatabaseError:
        return None
    return (connection.connection, changes, version)
