"""Sets of keys in temporary tables, checked against plain SQL and the model's own rows."""

from __future__ import annotations

import datetime
import decimal
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import Model
from django.test.utils import CaptureQueriesContext

from django_graft.db.keycolumns import key_column_type, tables_allowed
from django_graft.db.keytables import KeyTable
from tests.testapp import constructs as c
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db


def table_of(model: type[Model], tables: list[KeyTable]) -> KeyTable:
    table = KeyTable(model, connection.alias)
    tables.append(table)
    return table


def held(table: KeyTable) -> int:
    """How many rows the table holds, counted by the database."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table.name}")
        (count,) = cursor.fetchone()
    return int(count)


def test_keys_added_twice_are_kept_once(world: World, tables: list[KeyTable]) -> None:
    keys = sorted(m.Task.objects.values_list("pk", flat=True))
    table = table_of(m.Task, tables)
    table.add(keys[:5])
    table.add(keys[3:8])
    assert len(table) == held(table) == 8
    assert list(table) == keys[:8]
    assert keys[0] in table and keys[9] not in table
    table.discard(keys[0])
    assert len(table) == held(table) == 7 and keys[0] not in table


def test_a_query_fills_a_table_in_the_database(world: World, tables: list[KeyTable]) -> None:
    projects = m.Project.objects.filter(organisation=world.org)
    table = table_of(m.Project, tables)
    assert table.add_query(projects.values_list("pk")) == projects.count()
    assert table.add_query(projects.values_list("pk")) == 0
    assert table.add_query(projects.none().values_list("pk")) == 0
    assert set(table.rows()) == set(projects)


def test_a_query_of_distinct_keys_leaves_out_those_held(
    world: World, tables: list[KeyTable]
) -> None:
    projects = m.Project.objects.filter(organisation=world.org)
    keys = sorted(projects.values_list("pk", flat=True))
    table = table_of(m.Project, tables)
    table.add(keys[:2])
    assert table.add_query(projects.values_list("pk"), distinct=True) == len(keys) - 2
    assert table.add_query(projects.values_list("pk"), distinct=True) == 0
    assert list(table) == keys and len(table) == held(table) == len(keys)


def test_keys_of_a_disjoint_table_are_added_as_they_are(
    world: World, tables: list[KeyTable]
) -> None:
    keys = sorted(m.Task.objects.values_list("pk", flat=True))
    some, others = table_of(m.Task, tables), table_of(m.Task, tables)
    some.add(keys[:3])
    others.add(keys[3:7])
    assert some.add_all(others, disjoint=True) == 4
    assert list(some) == keys[:7] and len(some) == held(some) == 7


def test_tables_add_and_take_out_each_others_keys(world: World, tables: list[KeyTable]) -> None:
    keys = sorted(m.Task.objects.values_list("pk", flat=True))
    every, some, more = (table_of(m.Task, tables) for _ in range(3))
    every.add(keys)
    some.add(keys[:3])
    more.add(keys[2:6])
    assert every.remove_all(some) == 3 and every.remove_all(more) == 3
    assert len(every) == held(every) == len(keys) - 6
    assert some.add_all(more) == 3
    assert list(some) == keys[:6] and len(some) == held(some) == 6


def distinct_held(table: KeyTable) -> int:
    """How many different keys the table holds, counted by the database."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(DISTINCT k) FROM {table.name}")
        (count,) = cursor.fetchone()
    return int(count)


@pytest.mark.parametrize("read_first", [False, True], ids=["filling", "read"])
def test_every_way_in_keeps_each_key_once(
    world: World, tables: list[KeyTable], read_first: bool
) -> None:
    # PostgreSQL's tables fill without an index, which a first ordered or
    # single-key read makes: both states must keep each key once.
    projects = sorted(m.Project.objects.values_list("pk", flat=True))
    table, other = table_of(m.Project, tables), table_of(m.Project, tables)
    table.add(projects[:1])
    if read_first:
        assert list(table) == projects[:1] and projects[0] in table
    linked = m.Task.objects.values_list("project")  # a project once for each of its tasks
    linked_keys = {key for (key,) in linked}
    assert m.Task.objects.count() > len(linked_keys)
    table.add([*projects[:2], projects[1]])
    first = set(projects[:2])
    assert table.add_query(linked) == len(linked_keys - first)
    assert table.add_query(linked) == 0
    other.add(projects)
    assert table.add_all(other) == len(set(projects) - linked_keys - first)
    assert len(table) == held(table) == distinct_held(table) == len(projects)
    assert list(table) == projects


def test_an_index_is_made_once_for_every_read(world: World, tables: list[KeyTable]) -> None:
    keys = sorted(m.Task.objects.values_list("pk", flat=True))
    table = table_of(m.Task, tables)
    with CaptureQueriesContext(connection) as statements:
        table.add(keys[:4])
        assert list(table) == keys[:4] and keys[0] in table
        table.discard(keys[0])
        table.add(keys[4:8])
        assert [len(part.sql) > 0 for part in table.slices(2)] == [True] * 4
    made = [s["sql"] for s in statements.captured_queries if "ADD PRIMARY KEY" in s["sql"]]
    assert len(made) == (1 if connection.vendor == "postgresql" else 0)
    assert len(table) == held(table) == distinct_held(table) == 7


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 100])
def test_parts_cover_the_table_once_in_key_order(
    world: World, tables: list[KeyTable], size: int
) -> None:
    keys = sorted(m.Task.objects.values_list("pk", flat=True))[:4]
    table = table_of(m.Task, tables)
    table.add(keys)
    parts = [
        list(table.rows(part).order_by("pk").values_list("pk", flat=True))
        for part in table.slices(size)
    ]
    assert all(parts) and [k for part in parts for k in part] == keys
    assert len(parts) == -(-len(keys) // size)


def test_keys_that_name_no_row_are_found(world: World, tables: list[KeyTable]) -> None:
    keys = sorted(m.Task.objects.values_list("pk", flat=True))[:3]
    table = table_of(m.Task, tables)
    table.add([*keys, 999_998, 999_999])
    assert sorted(table.absent()) == [999_998, 999_999]


#: A model per kind of key a table holds, and three of its keys.
KINDS: list[tuple[type[Model], list[Any]]] = [
    (c.Region, ["a", "A", "b "]),
    (c.Edition, [datetime.date(2026, 1, d) for d in (1, 2, 3)]),
    (c.Grade, [decimal.Decimal("1.50"), decimal.Decimal("2.25"), decimal.Decimal("10.00")]),
]


@pytest.mark.parametrize(("model", "keys"), KINDS, ids=lambda v: getattr(v, "__name__", ""))
def test_keys_of_every_kind_come_back_as_they_went_in(
    tables: list[KeyTable], model: type[Model], keys: list[Any]
) -> None:
    name = "title" if model is c.Edition else "name"
    if connection.vendor == "mysql" and model is c.Region:
        keys = ["a", "b ", "c"]  # the column is case-insensitive there, and so is the table
    for key in keys:
        model._base_manager.create(pk=key, **{name: "x"})
    table = table_of(model, tables)
    table.add(keys)
    table.add(keys[:1])
    assert len(table) == held(table) == 3
    assert sorted(table) == sorted(keys)
    assert all(key in table for key in keys)
    assert not table.absent()


def test_a_composite_key_stays_in_python() -> None:
    composite = getattr(c, "Lot", None)
    if composite is None:
        pytest.skip("composite primary keys need Django 5.2")
    assert key_column_type(composite, connection.alias) is None
    assert key_column_type(m.Task, connection.alias) is not None


def test_a_dropped_table_names_itself(world: World) -> None:
    table = KeyTable(m.Task, connection.alias)
    table.add(m.Task.objects.values_list("pk", flat=True))
    count = len(table)
    table.drop()
    table.drop()  # once is enough; twice does nothing
    assert len(table) == count
    with pytest.raises(RuntimeError, match=r"testapp\.Task were kept in a temporary table"):
        list(table)


def test_tables_are_allowed_outside_read_only_transactions() -> None:
    assert tables_allowed(connection.alias)


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's tables fill without an index"
)


@pytest.mark.skipif(connection.vendor == "mysql", reason="MariaDB copies the key's own column")
def test_keys_equal_in_the_keys_collation_are_kept_once(
    tables: list[KeyTable], monkeypatch: pytest.MonkeyPatch
) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE COLLATION IF NOT EXISTS graft_test_ci "
                "(provider = icu, locale = 'und-u-ks-level2', deterministic = false)"
            )
        kind = 'varchar(10) COLLATE "graft_test_ci"'
    else:
        kind = "varchar(10) COLLATE NOCASE"
    monkeypatch.setattr("django_graft.db.keytables.key_column_type", lambda model, using: kind)
    table = table_of(c.Region, tables)
    table.add(["a", "A", "b"])  # two keys, as a region's key told apart in that collation
    table.add(["B"])
    assert len(table) == held(table) == 2
    assert "A" in table and "a" in table


@postgresql_only
def test_a_null_is_refused_as_a_key(world: World, tables: list[KeyTable]) -> None:
    table = table_of(m.Task, tables)
    assert m.Task.objects.filter(parent=None).exists()
    with pytest.raises(IntegrityError), transaction.atomic():
        table.add_query(m.Task.objects.values_list("parent"))


@postgresql_only
def test_a_table_filled_before_is_read_in_a_read_only_transaction(
    world: World, tables: list[KeyTable]
) -> None:
    keys = sorted(m.Project.objects.values_list("pk", flat=True))
    table = table_of(m.Project, tables)
    table.add(keys)
    with connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION READ ONLY")
    assert list(table) == keys and keys[0] in table  # without an index: right, slower


@postgresql_only
def test_lookups_reading_a_large_table_again_and_again_give_it_its_index(
    tables: list[KeyTable],
) -> None:
    # A deep tree's rounds each look a few keys up in one large table.
    table, few = table_of(m.Task, tables), table_of(m.Task, tables)
    table.add(range(1, 20_001))
    with CaptureQueriesContext(connection) as statements:
        for round_ in range(12):
            few.add([round_ + 1, 30_000 + round_])
            assert few.remove_all(table) == 1
    made = [s["sql"] for s in statements.captured_queries if "ADD PRIMARY KEY" in s["sql"]]
    assert len(made) == 1 and "ADD PRIMARY KEY" not in statements.captured_queries[0]["sql"]
    assert len(table) == held(table) == distinct_held(table) == 20_000
