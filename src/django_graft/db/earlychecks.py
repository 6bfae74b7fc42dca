"""Foreign keys checked as each statement ends, where every row they can point at is written first.

Django's foreign keys on PostgreSQL are ``DEFERRABLE INITIALLY DEFERRED``:
each row written queues a check that runs at commit, a query a row. For an
import of ten million rows that is a minute at commit, the database busy
and Python idle. A key whose rows can only point at rows already there
(its target table is written before its own, or not at all) can be
checked as each statement ends instead, while the import makes the next
rows ready (:mod:`.copyend`): the same checks, the same answer, but
alongside the import's own work. A key pointing into its own table or into
one written later stays deferred, since a row may be written before the
row it points at; so does a key naming another column than its target's
primary key (an import may move the value it names from one row to
another over two statements), and one whose name another constraint of
its schema shares (``SET CONSTRAINTS`` would change both).

The keys go back to ``DEFERRED`` once the rows are written, so a caller's
transaction goes on as it began. Elsewhere than on PostgreSQL nothing
changes: SQLite and MariaDB check keys as they do (:mod:`.constraints`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from django.db import connections

#: Each foreign key of the tables written (those ``checked``, of which the
#: keys may be checked early) whose target table is written before the first
#: row of its own, or not at all: deferrable, deferred unless told, naming
#: its target's primary key (which no import changes: a key naming another
#: column would also be checked as that column is updated), and the only
#: constraint of its schema with its name (``SET CONSTRAINTS`` names them
#: so). The tables come in the order they are written, quoted, with whether
#: each is checked, as the statement's two parameters.
_EARLY = """
WITH written AS (
    SELECT to_regclass(name) AS oid, checked, position
    FROM unnest(%s::text[], %s::boolean[]) WITH ORDINALITY AS tables(name, checked, position)
), first AS (
    SELECT oid, min(position) AS position FROM written GROUP BY oid HAVING bool_and(checked)
)
SELECT format('%%I.%%I', n.nspname, c.conname)
FROM pg_constraint c
JOIN pg_namespace n ON n.oid = c.connamespace
JOIN first ON first.oid = c.conrelid
WHERE c.contype = 'f' AND c.condeferrable AND c.condeferred
  AND NOT EXISTS (
    SELECT 1 FROM written later
    WHERE later.oid = c.confrelid AND later.position >= first.position
  )
  AND EXISTS (
    SELECT 1 FROM pg_constraint key
    WHERE key.conrelid = c.confrelid AND key.contype = 'p' AND key.conkey = c.confkey
  )
  AND NOT EXISTS (
    SELECT 1 FROM pg_constraint other
    WHERE other.connamespace = c.connamespace AND other.conname = c.conname
      AND other.oid <> c.oid
  )
ORDER BY 1
"""


def early_keys(using: str, tables: Sequence[tuple[str, bool]]) -> list[str]:
    """The keys that can be checked as they are written, as ``SET CONSTRAINTS`` names them.

    ``tables``: ``(table, whether its keys may be checked early)`` in the
    order they are written. None elsewhere than on PostgreSQL.
    """
    connection = connections[using]
    if connection.vendor != "postgresql" or not tables:
        return []
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            _EARLY, [[quote(table) for table, _ in tables], [checked for _, checked in tables]]
        )
        return [name for (name,) in cursor.fetchall()]


@contextmanager
def checked_early(using: str, tables: Sequence[tuple[str, bool]]) -> Iterator[None]:
    """Rows written to ``tables``, in that order, have their keys checked as they are written.

    Only the keys :func:`early_keys` names. On an error in the block they
    are left as they are: the rollback that follows puts them back.
    """
    names = ", ".join(early_keys(using, tables))
    if not names:
        yield
        return
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(f"SET CONSTRAINTS {names} IMMEDIATE")
    yield
    with connection.cursor() as cursor:
        cursor.execute(f"SET CONSTRAINTS {names} DEFERRED")
