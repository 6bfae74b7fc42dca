"""Statements sent past Django's cursor wrapper, logged and error-wrapped as Django does.

Django's SQLite cursor rewrites every ``%s`` placeholder to ``?`` with a
regular expression before each statement. On the statements bulk work sends
(an ``IN`` list or a multi-row ``INSERT`` of thousands of values) that
rewrite costs more than SQLite spends running them, so such statements go to
the driver in its own ``?`` style. They still appear in ``connection.queries``
and raise Django's database exceptions, like every other query.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Sequence
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper


@contextlib.contextmanager
def logged(connection: BaseDatabaseWrapper, sql: str) -> Iterator[None]:
    """Log a statement sent past Django's cursor, as Django logs the queries it runs."""
    if not connection.queries_logged:
        yield
        return
    started = time.monotonic()
    try:
        yield
    finally:
        elapsed = time.monotonic() - started
        connection.queries_log.append({"sql": sql, "time": f"{elapsed:.3f}"})


def qmark(sql: str) -> str | None:
    """``sql`` with Django's ``%s`` placeholders as ``?``; ``None`` if it has a literal ``%``.

    Without ``%%`` in the statement, Django's own rewrite comes to exactly this.
    """
    return None if "%%" in sql else sql.replace("%s", "?")


def sqlite_execute(connection: BaseDatabaseWrapper, sql: str, params: Sequence[Any]) -> Any:
    """Run ``sql`` (``?`` placeholders) on the SQLite driver; return the driver's cursor."""
    connection.ensure_connection()
    connection.validate_no_broken_transaction()
    with logged(connection, sql), connection.wrap_database_errors:
        return connection.connection.execute(sql, params)


def run_statement(connection: BaseDatabaseWrapper, sql: str, params: Sequence[Any]) -> int:
    """Run a statement with ``%s`` placeholders; return the rows it changed.

    On SQLite it goes to the driver (see the module's docstring).
    """
    if connection.vendor == "sqlite" and (plain := qmark(sql)) is not None:
        return int(sqlite_execute(connection, plain, params).rowcount)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)
