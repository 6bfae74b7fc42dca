"""A COPY's end is sent before Python's work meanwhile: the server ends it alongside."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.db import connection

from django_graft.db.driver import copy_rows
from tests.testapp import models as m

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY through psycopg 3"),
    pytest.mark.django_db(transaction=True),
]

#: The lock the statement's end waits for, held by another session.
LOCK = 4_242


def _activity(other: Any, pid: int) -> tuple[Any, ...]:
    row = other.execute(
        "SELECT state, wait_event_type, wait_event FROM pg_stat_activity WHERE pid = %s", [pid]
    ).fetchone()
    assert row is not None
    return tuple(row)


def test_meanwhile_runs_while_the_server_is_at_the_statements_end() -> None:
    # Imported here: psycopg is there on PostgreSQL only.
    import psycopg

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION testapp_waits() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN PERFORM pg_advisory_xact_lock({LOCK}); RETURN NULL; END $$"
        )
        cursor.execute(
            "CREATE TRIGGER testapp_waits AFTER INSERT ON testapp_tag "
            "FOR EACH STATEMENT EXECUTE FUNCTION testapp_waits()"
        )
    pid = connection.connection.info.backend_pid
    seen: list[tuple[Any, ...]] = []
    try:
        with psycopg.connect(**connection.get_connection_params(), autocommit=True) as other:
            other.execute("SELECT pg_advisory_lock(%s)", [LOCK])

            def meanwhile() -> None:
                # The oracle: the server's own account of the session copying.
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline:
                    seen.append(_activity(other, pid))
                    if seen[-1][2] == "advisory":
                        break
                    time.sleep(0.01)
                other.execute("SELECT pg_advisory_unlock(%s)", [LOCK])

            with connection.cursor() as cursor:
                copy_rows(
                    connection, cursor, "COPY testapp_tag (name) FROM STDIN", [("a",)], meanwhile
                )
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER testapp_waits ON testapp_tag")
            cursor.execute("DROP FUNCTION testapp_waits()")
    # Every row was sent and filed: the statement waited at its end, not for more data.
    assert seen[-1] == ("active", "Lock", "advisory")
    assert list(m.Tag.objects.values_list("name", flat=True)) == ["a"]


def test_an_interrupt_while_the_copy_ends_leaves_the_connection_ready() -> None:
    def interrupted() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt), connection.cursor() as cursor:
        copy_rows(connection, cursor, "COPY testapp_tag (name) FROM STDIN", [("a",)], interrupted)
    # The COPY was read to its end: the next statement is answered.
    assert m.Tag.objects.count() == 1
