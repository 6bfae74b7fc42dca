from __future__ import annotations

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext

from django_graft.driver import qmark, sqlite_execute

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
