"""Statements sent past Django's cursor, seen by Django's hooks as Django's own are.

Django's SQLite cursor rewrites every ``%s`` placeholder to ``?`` with a
regular expression before each statement. On the statements bulk work sends
(an ``IN`` list or a multi-row ``INSERT`` of thousands of values) that
rewrite costs more than SQLite spends running them, so such statements go to
the driver in its own ``?`` style; on PostgreSQL, rows are written with
``COPY``, which Django's cursor has no method for. Every such statement
still runs as Django runs one: through each of ``connection.execute_wrappers``
(so debug toolbars, APMs and any ``execute_wrapper`` see it), inside
Django's database error translation, and, when queries are logged, into
``connection.queries`` and the ``django.db.backends`` logger with Django's
message and ``extra``: ``assertNumQueries`` and ``CaptureQueriesContext``
count it.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper

from django_graft.db.copyend import ending_writer
from django_graft.exceptions import GraftError

#: The logger Django's debug cursor writes every query to.
logger = logging.getLogger("django.db.backends")

T = TypeVar("T")


@contextlib.contextmanager
def logged(connection: BaseDatabaseWrapper, sql: str, params: Any = None) -> Iterator[None]:
    """Log a statement sent past Django's cursor, as Django's debug cursor logs its own."""
    if not connection.queries_logged:
        yield
        return
    started = time.monotonic()
    try:
        yield
    finally:
        duration = time.monotonic() - started
        connection.queries_log.append({"sql": sql, "time": f"{duration:.3f}"})
        logger.debug(
            "(%.3f) %s; args=%s; alias=%s",
            duration,
            sql,
            params,
            connection.alias,
            extra={"duration": duration, "sql": sql, "params": params, "alias": connection.alias},
        )


def through_hooks(
    connection: BaseDatabaseWrapper,
    cursor: Any,
    sql: str,
    params: Any,
    run: Callable[[str, Any], T],
) -> T:
    """Run ``run(sql, params)`` as Django's cursor runs a statement.

    Logged around everything; then every execute wrapper of the connection,
    outermost first, each free to change ``sql`` and ``params`` or to refuse;
    then ``run`` inside Django's error translation. ``cursor`` is the
    ``context["cursor"]`` the wrappers see.
    """

    def execute(sql: str, params: Any, many: bool, context: dict[str, Any]) -> T:
        with connection.wrap_database_errors:
            return run(sql, params)

    executor: Callable[..., T] = execute
    for wrapper in reversed(connection.execute_wrappers):
        executor = functools.partial(wrapper, executor)
    with logged(connection, sql, params):
        return executor(sql, params, False, {"connection": connection, "cursor": cursor})


def qmark(sql: str) -> str | None:
    """``sql`` with Django's ``%s`` placeholders as ``?``; ``None`` if it has a literal ``%``.

    Without ``%%`` in the statement, Django's own rewrite comes to exactly this.
    """
    return None if "%%" in sql else sql.replace("%s", "?")


def sqlite_execute(connection: BaseDatabaseWrapper, sql: str, params: Sequence[Any]) -> Any:
    """Run ``sql`` (``?`` placeholders) on the SQLite driver; return the driver's cursor."""
    connection.ensure_connection()
    connection.validate_no_broken_transaction()
    raw = connection.connection.cursor()
    return through_hooks(connection, CursorWrapper(raw, connection), sql, params, raw.execute)


def run_statement(connection: BaseDatabaseWrapper, sql: str, params: Sequence[Any]) -> int:
    """Run a statement with ``%s`` placeholders; return the rows it changed.

    On SQLite it goes to the driver (see the module's docstring).
    """
    if connection.vendor == "sqlite" and (plain := qmark(sql)) is not None:
        return int(sqlite_execute(connection, plain, params).rowcount)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


def can_copy(connection: BaseDatabaseWrapper) -> bool:
    """Whether ``connection`` is PostgreSQL through psycopg 3, whose cursors have ``copy()``."""
    if connection.vendor != "postgresql":
        return False
    # The PostgreSQL backend's module imports psycopg: on PostgreSQL only. It
    # says which psycopg Django runs on (undocumented, used by Django itself).
    from django.db.backends.postgresql.psycopg_any import is_psycopg3

    return bool(is_psycopg3)


def copy_rows(
    connection: BaseDatabaseWrapper,
    cursor: CursorWrapper,
    sql: str,
    rows: Sequence[tuple[Any, ...]],
    meanwhile: Callable[[], None] | None = None,
) -> None:
    """Run ``COPY … FROM STDIN`` with ``rows`` on psycopg 3, through Django's hooks.

    ``meanwhile`` runs once the rows are sent and the end of the data with
    them, before the result is read: PostgreSQL files the last rows and
    checks the keys checked as a statement ends while it works
    (:mod:`.copyend`). The statement's logged time includes it. It must not
    use the connection, which is busy copying: a statement it sends through
    Django is refused (the driver would wait for the ``COPY`` forever). What
    it raises is raised once the ``COPY`` has ended, after the database's
    own error if there is one, and its message is never sent to the server.

    ``cursor.cursor`` is the driver's cursor Django's wraps (undocumented); its
    ``copy()`` is psycopg's.
    """
    failed: list[Exception] = []

    def busy() -> None:
        with connection.execute_wrapper(functools.partial(_busy, sql)):
            try:
                assert meanwhile is not None
                meanwhile()
            except Exception as exc:  # raised below, once the COPY has ended
                failed.append(exc)

    def send(sql: str, rows: Sequence[tuple[Any, ...]]) -> None:
        writer = None if meanwhile is None else ending_writer(cursor.cursor, busy)
        with cursor.cursor.copy(sql, writer=writer) as copy:
            for row in rows:
                copy.write_row(row)

    through_hooks(connection, cursor, sql, rows, send)
    if failed:
        raise failed[0]


def _busy(copying: str, execute: Any, sql: str, *args: Any) -> Any:
    """Refuse a statement sent while ``copying`` is being filled."""
    raise GraftError(
        f"A statement ({sql[:80]!r}) was sent while the connection was busy with "
        f"{copying[:80]!r}. Nothing was written; this is a bug of django-graft's."
    )
