from __future__ import annotations

import io
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import DatabaseError, connection, connections
from django.test.utils import CaptureQueriesContext

from django_graft import clone, delete, export, import_archive
from django_graft.db.driver import copy_rows, qmark, sqlite_execute
from django_graft.exceptions import GraftError
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db


def test_placeholders_become_question_marks() -> None:
    assert qmark("SELECT a FROM t WHERE b IN (%s, %s)") == "SELECT a FROM t WHERE b IN (?, ?)"
    # A literal percent sign: Django's own rewrite is the safe one.
    assert qmark("SELECT a FROM t WHERE b LIKE '%%s'") is None


@pytest.mark.skipif(connection.vendor != "sqlite", reason="a SQLite driver statement")
def test_driver_statements_are_logged_and_raise_django_errors() -> None:
    with CaptureQueriesContext(connection) as ctx:
        rows = sqlite_execute(connection, "SELECT ? + ?", [1, 2]).fetchall()
    assert rows == [(3,)]
    assert [q["sql"] for q in ctx.captured_queries] == ["SELECT ? + ?"]
    with pytest.raises(DatabaseError):
        sqlite_execute(connection, "SELECT * FROM no_such_table", [])


# -- Django's hooks see every statement ----------------------------------------


class Seen:
    """An execute wrapper that records what it is given, as an APM's would."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.contexts: list[dict[str, Any]] = []

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.statements.append(sql)
        self.contexts.append(context)
        return execute(sql, params, many, context)


def hooked(using: str, operation: Callable[[], Any]) -> tuple[list[str], int]:
    """The statements a wrapper saw, and how many Django's query log counted."""
    seen = Seen()
    target = connections[using]
    with CaptureQueriesContext(target) as ctx, target.execute_wrapper(seen):
        operation()
    assert all(c["connection"] is target and c["cursor"] is not None for c in seen.contexts)
    return seen.statements, len(ctx.captured_queries)


def _operations(world: World, tmp_path: Path) -> dict[str, tuple[str, Callable[[], Any]]]:
    archive = tmp_path / "org.jsonl"
    export(world.org, archive)
    return {
        "export": ("default", lambda: export(world.org, io.BytesIO())),
        "import": ("other", lambda: import_archive(archive, using="other")),
        "remap import": ("other", lambda: import_archive(archive, using="other", pks="remap")),
        "clone": ("default", lambda: clone(world.projects[0])),
        "delete": ("default", lambda: delete(world.org)),
    }


@pytest.mark.django_db(databases=["default", "other"])
@pytest.mark.parametrize("name", ["export", "import", "remap import", "clone", "delete"])
def test_an_execute_wrapper_sees_every_statement(world: World, tmp_path: Path, name: str) -> None:
    using, operation = _operations(world, tmp_path)[name]
    statements, logged = hooked(using, operation)
    assert len(statements) == logged > 0
    if name in ("import", "remap import") and connections[using].vendor == "postgresql":
        assert any(sql.startswith("COPY ") for sql in statements)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="a SQLite driver statement")
def test_a_wrapper_may_change_or_refuse_a_driver_statement() -> None:
    def double(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        return execute("SELECT (? + ?) * 2", params, many, context)

    with connection.execute_wrapper(double):
        assert sqlite_execute(connection, "SELECT ? + ?", [1, 2]).fetchall() == [(6,)]

    def refuse(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        raise DatabaseError("refused by a wrapper")

    with connection.execute_wrapper(refuse), pytest.raises(DatabaseError, match="refused"):
        sqlite_execute(connection, "SELECT 1", [])


@pytest.mark.skipif(connection.vendor != "sqlite", reason="a SQLite driver statement")
def test_driver_statements_reach_the_backends_logger(caplog: pytest.LogCaptureFixture) -> None:
    with (
        caplog.at_level(logging.DEBUG, logger="django.db.backends"),
        CaptureQueriesContext(connection),
    ):
        sqlite_execute(connection, "SELECT ? + ?", [1, 2])
    (record,) = [r for r in caplog.records if getattr(r, "sql", None) == "SELECT ? + ?"]
    assert record.params == [1, 2] and record.alias == "default"  # type: ignore[attr-defined]
    assert record.getMessage().endswith("SELECT ? + ?; args=[1, 2]; alias=default")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY through psycopg 3")
@pytest.mark.django_db(transaction=True)
def test_a_statement_sent_while_a_copy_is_open_is_refused_once_it_ends() -> None:
    """Instead of the driver waiting forever for the COPY to end."""

    def query() -> None:
        m.Tag.objects.count()

    with pytest.raises(GraftError, match="busy with 'COPY"), connection.cursor() as cursor:
        copy_rows(connection, cursor, "COPY testapp_tag (name) FROM STDIN", [("a",)], query)
    assert list(m.Tag.objects.values_list("name", flat=True)) == ["a"]  # the COPY itself ended


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY through psycopg 3")
@pytest.mark.django_db(transaction=True)
def test_the_database_error_of_a_copy_comes_before_what_meanwhile_raised() -> None:
    m.Tag.objects.create(name="taken")

    def fails() -> None:
        raise ValueError("the next chunk is bad")

    with pytest.raises(DatabaseError, match="taken"), connection.cursor() as cursor:
        copy_rows(connection, cursor, "COPY testapp_tag (name) FROM STDIN", [("taken",)], fails)
