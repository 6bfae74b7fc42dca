"""Keys drawn ahead are the ones the database would give, and it goes on after them."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from django_graft.db.keydraw import KeyDrawer, _autoincrement_key
from tests.testapp import boards as b

pytestmark = pytest.mark.django_db


def test_drawn_keys_come_after_every_key_made_and_before_every_key_made_next() -> None:
    made = b.Product.objects.create(name="made before")
    drawer = KeyDrawer(connection)
    with transaction.atomic(), CaptureQueriesContext(connection) as ctx:
        runs = drawer.draw(b.Product, 3)
    if connection.vendor not in ("sqlite", "postgresql"):
        assert runs is None  # MariaDB moves its counters only by DDL
        return
    assert runs is not None
    assert len(runs) == 1  # one run: no other session drew meanwhile
    drawn = list(runs[0])
    assert drawn == list(range(drawn[0], drawn[0] + 3))
    assert drawn[0] > made.pk
    assert b.Product.objects.create(name="made after").pk > drawn[-1]
    # Django's hooks saw every statement.
    assert ctx.captured_queries
    # Written with those keys, the rows are there as any others.
    b.Product.objects.bulk_create([b.Product(pk=key, name=f"drawn {key}") for key in drawn])
    assert b.Product.objects.filter(pk__in=drawn).count() == 3


def test_keys_drawn_on_postgresql_are_runs_of_the_sequence_step() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's sequences only")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence('testapp_product', 'id')")
        sequence = cursor.fetchone()[0]
        cursor.execute(f"ALTER SEQUENCE {sequence} INCREMENT BY 3")
        cursor.execute("SELECT nextval(%s)", [sequence])
        last = cursor.fetchone()[0]
    # Rows written one by one get these keys, as the draw must give them.
    expected = [last + 3 * step for step in range(1, 6)]
    with transaction.atomic():
        runs = KeyDrawer(connection).draw(b.Product, 5)
    assert runs == [range(expected[0], expected[-1] + 3, 3)]
    assert b.Product.objects.create(name="made after").pk == expected[-1] + 3


def test_keys_drawn_at_the_bottom_of_a_bigint_sequence_stay_in_range() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's sequences only")
    lowest = -(2**63)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence('testapp_product', 'id')")
        sequence = cursor.fetchone()[0]
        cursor.execute(f"ALTER SEQUENCE {sequence} AS bigint MINVALUE {lowest} RESTART {lowest}")
        cursor.execute("ALTER TABLE testapp_product ALTER COLUMN id TYPE bigint")
    with transaction.atomic():
        runs = KeyDrawer(connection).draw(b.Product, 3)
    assert runs == [range(lowest, lowest + 3)]


def test_no_keys_are_drawn_for_keys_the_database_does_not_count() -> None:
    drawer = KeyDrawer(connection)
    assert drawer.draw(b.Sketch, 2) is None  # a UUID key: no counter
    assert drawer.draw(b.Product, 0) is None


@pytest.mark.parametrize(
    ("sql", "counted"),
    [
        ('CREATE TABLE "t" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "n" int)', True),
        ("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT)", True),
        ('CREATE TABLE "t" ("id" integer NOT NULL PRIMARY KEY, "n" int)', False),
        ('CREATE TABLE "t" ("n" integer PRIMARY KEY AUTOINCREMENT, "id" int)', False),
        (None, False),
    ],
)
def test_only_an_autoincrement_key_takes_keys_from_sqlite_sequence(
    sql: str | None, counted: bool
) -> None:
    # Without AUTOINCREMENT, SQLite reuses the largest key after a delete:
    # nothing records a reservation there.
    assert _autoincrement_key(sql, "id") is counted


def test_no_keys_are_drawn_for_a_sqlite_key_without_autoincrement() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's sqlite_sequence only")
    with connection.cursor() as cursor:  # a table made elsewhere: no AUTOINCREMENT
        cursor.execute('DROP TABLE "testapp_product"')
        cursor.execute(
            'CREATE TABLE "testapp_product" '
            '("id" integer NOT NULL PRIMARY KEY, "name" varchar(50) NOT NULL UNIQUE)'
        )
        cursor.execute("SELECT count(*) FROM sqlite_sequence WHERE name = 'testapp_product'")
        entries = cursor.fetchone()[0]
    b.Product.objects.create(name="made before")
    assert KeyDrawer(connection).draw(b.Product, 2) is None
    with connection.cursor() as cursor:  # nothing written for a table SQLite counts otherwise
        cursor.execute("SELECT count(*) FROM sqlite_sequence WHERE name = 'testapp_product'")
        assert cursor.fetchone()[0] == entries
