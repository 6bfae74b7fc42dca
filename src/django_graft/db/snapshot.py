"""One consistent view of the database for the whole of an export.

An export reads in many queries: the walk, round after round, then the rows
model by model. Run in autocommit, each query would see the database as it
is at that moment, so a row written meanwhile could point at a row the walk
never saw, and the archive would hold a dangling link. All of them run in
one transaction instead; on PostgreSQL and MariaDB/MySQL a
``REPEATABLE READ, READ ONLY`` one, so every query sees the same snapshot,
taken at the first. (Django runs MariaDB at ``READ COMMITTED`` by default;
SQLite's transactions are serializable.) Inside a transaction the caller already
holds, its isolation applies: it cannot be changed once queries have run.

PostgreSQL refuses to create any table, a temporary one included, in a
read-only transaction, and MariaDB to write into one: a snapshot that may
keep key sets in temporary tables (``temporary_tables``) is only
``REPEATABLE READ``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.db import connections, transaction


@contextlib.contextmanager
def consistent_snapshot(using: str, *, temporary_tables: bool = False) -> Iterator[None]:
    connection = connections[using]
    if connection.in_atomic_block:
        yield
        return
    with transaction.atomic(using=using):
        if connection.vendor in ("postgresql", "mysql"):
            # The first statement: it sets the transaction that the next
            # statement starts (MariaDB) or has just started (PostgreSQL).
            access = "" if temporary_tables else ", READ ONLY"
            with connection.cursor() as cursor:
                cursor.execute(f"SET TRANSACTION ISOLATION LEVEL REPEATABLE READ{access}")
        yield
