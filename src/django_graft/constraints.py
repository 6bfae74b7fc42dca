"""Foreign keys checked once a write is done, on every database.

PostgreSQL and SQLite check the foreign keys Django creates at commit
(``DEFERRABLE INITIALLY DEFERRED``), so rows may be written in any order
inside a transaction. MariaDB and MySQL check each row as it is written.
There, as ``loaddata`` does, the checks are switched off while the rows are
written and the written tables are checked once at the end.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator

from django.db import connections


def checks_each_row(using: str) -> bool:
    """Whether the database checks a foreign key as each row is written."""
    return not connections[using].features.can_defer_constraint_checks


@contextlib.contextmanager
def checked_at_end(using: str, tables: Iterable[str] | None, *, now: bool) -> Iterator[None]:
    """Write rows in any order; their foreign keys are checked when the block ends.

    Where the database defers its checks to commit, they stay there unless
    ``now`` asks for them at the end of the block (a caller's transaction
    would commit too late to name the fault). ``tables`` are the tables
    whose foreign keys to check, ``None`` for all: an ``IntegrityError``
    names the first row pointing nowhere.
    """
    connection = connections[using]
    if not checks_each_row(using):
        yield
        if now:
            connection.check_constraints(table_names=None if tables is None else sorted(tables))
        return
    with connection.constraint_checks_disabled():
        yield
    connection.check_constraints(table_names=None if tables is None else sorted(tables))
