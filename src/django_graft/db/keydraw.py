"""Draw the keys a table's next rows will get, before they are written.

A remap import or a clone writes rows whose keys the database makes. A row
that links to one written later (a cycle, a self reference, a dynamic edge
to a child) would have to be written without that link and updated once
the target is in. Where the database can hand out keys ahead, the import
draws them instead, and every row is written once with its links:

* PostgreSQL: ``nextval`` of the column's sequence (a serial or identity
  column), as many times as there are rows, in one query, which returns
  the keys as runs (where no other session drew meanwhile, one run: a
  million keys cost a few bytes, not a list of a million integers);
* SQLite: a table whose key is ``INTEGER PRIMARY KEY AUTOINCREMENT`` (every
  Django auto field) takes its keys from ``sqlite_sequence``. Moving the
  table's entry there forward by the number of rows reserves the same keys
  SQLite would have given them; the statement is a write, so this
  connection holds the database's write lock from then on and no other
  connection can take those keys before this transaction ends.

Elsewhere (MariaDB and MySQL, whose counters only DDL moves; other tables)
:meth:`KeyDrawer.draw` returns ``None`` and the links are filled in afterwards.
"""

from __future__ import annotations

import re
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model

from django_graft.schema.fieldtypes import INTEGER_TYPES, stored_type

#: Where a table's keys come from: its sequence and that sequence's step
#: (PostgreSQL), True (SQLite's ``sqlite_sequence``), or None: nowhere ahead.
_Source = tuple[str, int] | bool | None

#: The drawn keys, ascending, as runs of a sequence's step: each value drawn
#: once, grouped by its distance from its rank times the step. The distance
#: lies between the first value and the value itself (values a step or more
#: apart), so it stays within the column's range, the lowest values included.
_DRAWN_RUNS = (
    "SELECT min(v), max(v) FROM ("
    " SELECT v, v - %s * (row_number() OVER (ORDER BY v) - 1) AS run"
    " FROM (SELECT nextval(%s) AS v FROM generate_series(1, %s)) AS drawn"
    ") AS numbered GROUP BY run ORDER BY 1"
)


class KeyDrawer:
    """Draws keys for the tables of one connection; remembers which tables cannot."""

    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        self.connection = connection
        self._sources: dict[str, _Source] = {}

    def draw(self, model: type[Model], count: int) -> list[range] | None:
        """``count`` new keys of ``model``'s table as ascending runs; None where it cannot say them.

        Read in order, the runs' keys are the ones the next ``count`` rows
        written would have got.
        """
        pk: Any = model._meta.pk
        if count <= 0 or hasattr(pk, "fields") or stored_type(pk) not in INTEGER_TYPES:
            return None
        table = model._meta.db_table
        if table not in self._sources:
            self._sources[table] = self._source(table, pk.column)
        source = self._sources[table]
        if source is None:
            return None
        with self.connection.cursor() as cursor:
            if isinstance(source, tuple):
                sequence, step = source
                cursor.execute(_DRAWN_RUNS, [step, sequence, count])
                return [range(low, high + step, step) for low, high in cursor.fetchall()]
            return [self._sqlite_range(cursor, table, pk.column, count)]

    def _source(self, table: str, column: str) -> _Source:
        vendor = self.connection.vendor
        with self.connection.cursor() as cursor:
            if vendor == "postgresql":
                quoted = self.connection.ops.quote_name(table)
                # The sequence's name as PostgreSQL gives it, schema included.
                cursor.execute(
                    "SELECT found.name, abs(s.seqincrement) "
                    "FROM (SELECT pg_get_serial_sequence(%s, %s) AS name) AS found "
                    "JOIN pg_sequence s ON s.seqrelid = found.name::regclass",
                    [quoted, column],
                )
                found = cursor.fetchone()
                return (found[0], int(found[1])) if found else None
            if vendor == "sqlite":
                cursor.execute(
                    "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = %s", [table]
                )
                found = cursor.fetchone()
                # Without AUTOINCREMENT, SQLite gives the next row the largest key
                # plus one, whatever sqlite_sequence says: nothing can be reserved.
                return True if found and _autoincrement_key(found[0], column) else None
        return None

    def _sqlite_range(self, cursor: Any, table: str, column: str, count: int) -> range:
        quoted = self.connection.ops.quote_name
        # A write first: from here on, this connection alone writes the database.
        cursor.execute(
            "INSERT INTO sqlite_sequence (name, seq) SELECT %s, 0 "
            "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = %s)",
            [table, table],
        )
        # SQLite gives the next row one past the larger of the two.
        cursor.execute(
            f"UPDATE sqlite_sequence SET seq = max(seq, "
            f"(SELECT coalesce(max({quoted(column)}), 0) FROM {quoted(table)})) + %s "
            "WHERE name = %s",
            [count, table],
        )
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        last = int(cursor.fetchone()[0])
        return range(last - count + 1, last + 1)


def _autoincrement_key(sql: str | None, column: str) -> bool:
    """Whether a table's SQL makes ``column`` its ``INTEGER PRIMARY KEY AUTOINCREMENT``."""
    if not sql:
        return False
    quoted = rf'(?:"{re.escape(column)}"|`{re.escape(column)}`|\[{re.escape(column)}\]|'
    quoted += rf"{re.escape(column)}\b)"
    pattern = rf"{quoted}\s+integer\s+(?:not\s+null\s+)?primary\s+key\s+autoincrement\b"
    return re.search(pattern, sql, re.IGNORECASE) is not None
