"""Rows of a part of a key table, narrowed by the part's key range where that is safe."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, models
from django.db.models import Model
from django.test.utils import isolate_apps

from django_graft.db.keyslices import KeySlice, narrowed, ordered_alike
from django_graft.db.keytables import KeyTable
from tests.testapp import boards as b
from tests.testapp import constructs as c
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db


def _table(model: type[Model], keys: list[Any], tables: list[KeyTable]) -> KeyTable:
    table = KeyTable(model, connection.alias)
    tables.append(table)
    table.add(keys)
    return table


def _where(queryset: Any) -> str:
    sql, _ = queryset.query.sql_with_params()
    return str(sql).split(" WHERE ", 1)[1]


class CentsField(models.BigIntegerField):  # type: ignore[type-arg]
    """A key field of a project's own, which may take other values than the driver's."""


def test_integer_and_uuid_keys_of_djangos_fields_are_ordered_alike() -> None:
    assert ordered_alike(m.Task) and ordered_alike(b.Sketch) and ordered_alike(c.Registration)
    assert not ordered_alike(c.Region) and not ordered_alike(c.Edition)

    with isolate_apps("tests.testapp"):

        class Priced(models.Model):
            id = CentsField(primary_key=True)

            class Meta:
                app_label = "testapp"

            def __str__(self) -> str:
                return str(self.pk)

        assert not ordered_alike(Priced)


@pytest.mark.parametrize("size", [1, 2, 3, 5])
def test_each_part_reads_its_rows_and_no_other(
    world: World, tables: list[KeyTable], size: int
) -> None:
    every = sorted(m.Task.objects.values_list("pk", flat=True))
    keys = every[::2]  # every other task: a range also holds rows the part has not
    table = _table(m.Task, keys, tables)
    read = [list(table.rows(part).values_list("pk", flat=True)) for part in table.slices(size)]
    assert [sorted(part) for part in read] == [
        keys[i : i + size] for i in range(0, len(keys), size)
    ]


def test_an_integer_part_also_bounds_the_models_own_key(
    world: World, tables: list[KeyTable]
) -> None:
    keys = sorted(m.Task.objects.values_list("pk", flat=True))
    table = _table(m.Task, keys, tables)
    first, middle, *_ = table.slices(2)
    column = f"{connection.ops.quote_name(m.Task._meta.db_table)}.{connection.ops.quote_name('id')}"
    assert (first.low, first.high) == (None, keys[1])
    assert (middle.low, middle.high) == (keys[1], keys[3])
    assert f"{column} <= " in _where(table.rows(first))
    assert f"{column} > " in _where(table.rows(middle)) and f"{column} <= " in _where(
        table.rows(middle)
    )


def test_a_uuid_part_reads_its_rows_by_range_too(tables: list[KeyTable]) -> None:
    keys = sorted(uuid.UUID(int=n * 7919) for n in range(1, 9))
    b.Sketch.objects.bulk_create(b.Sketch(id=key) for key in keys)
    table = _table(b.Sketch, keys[1::2], tables)
    read = [sorted(table.rows(part).values_list("pk", flat=True)) for part in table.slices(2)]
    assert read == [keys[1::2][:2], keys[1::2][2:]]


def test_a_part_read_in_a_subquery_of_its_own_table_keeps_its_bounds(
    world: World, tables: list[KeyTable]
) -> None:
    # Django relabels the inner table: bounds spelled as SQL naming it would
    # then compare the outer rows' keys instead.
    keys = sorted(m.Task.objects.values_list("pk", flat=True))
    table = _table(m.Task, keys, tables)
    pairs = [keys[i : i + 2] for i in range(0, len(keys), 2)]
    for part, expected in zip(table.slices(2), pairs, strict=True):
        inner = table.rows(part).values("pk")
        outer = m.Task.objects.filter(pk__in=inner).values_list("pk", flat=True)
        assert sorted(outer) == expected
        parents = m.Project.objects.filter(pk__in=table.rows(part).values("project"))
        assert set(parents.values_list("pk", flat=True)) == set(
            m.Task.objects.filter(pk__in=expected).values_list("project", flat=True)
        )


def test_keys_stored_otherwise_than_django_writes_them_are_all_read(
    tables: list[KeyTable],
) -> None:
    # UUIDs in capitals, written outside Django: SQLite and MariaDB's text
    # keep them so. The bounds are compared as stored, not as the field
    # would write them.
    keys = [uuid.UUID(int=n * 0x0123456789ABCDEF0123) for n in range(1, 13)]
    stored = b.Sketch._meta.pk.get_db_prep_value
    spelled = [
        value.upper() if isinstance(value, str) else value
        for value in (stored(key, connection, prepared=False) for key in keys)
    ]
    with connection.cursor() as cursor:
        table_name = connection.ops.quote_name(b.Sketch._meta.db_table)
        cursor.executemany(
            f"INSERT INTO {table_name} (id, strokes) VALUES (%s, 0)", [(v,) for v in spelled]
        )
    table = KeyTable(b.Sketch, connection.alias)
    tables.append(table)
    table.add_query(b.Sketch.objects.values_list("pk"))
    parts = list(table.slices(5))
    assert len(parts) == 3
    read = [key for part in parts for key in table.rows(part).values_list("pk", flat=True)]
    assert sorted(read) == sorted(keys)


def test_a_text_key_is_narrowed_by_its_part_alone(tables: list[KeyTable]) -> None:
    for code in ("a", "B", "c", "D"):
        c.Region.objects.create(code=code, name=code)
    table = _table(c.Region, ["a", "B", "c", "D"], tables)
    parts = list(table.slices(2))
    column = connection.ops.quote_name("code")
    where = [_where(table.rows(part)) for part in parts]
    assert not [w for w in where if f"{column} > " in w or f"{column} <= " in w]
    assert sorted(
        code for part in parts for code in table.rows(part).values_list("pk", flat=True)
    ) == [
        "B",
        "D",
        "a",
        "c",
    ]


def test_a_whole_table_is_not_narrowed(world: World, tables: list[KeyTable]) -> None:
    table = _table(m.Task, list(m.Task.objects.values_list("pk", flat=True)), tables)
    whole = table.rows()
    assert narrowed(m.Task.objects.all(), table.subquery()).count() == whole.count() == len(table)
    assert not isinstance(table.subquery(), KeySlice)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")
def test_a_part_of_a_large_table_is_read_through_its_key_index(tables: list[KeyTable]) -> None:
    # A part of 2% of the table: by the part alone, PostgreSQL hashes it and
    # reads the whole table, for every part.
    b.Sketch.objects.bulk_create(b.Sketch(strokes=n) for n in range(100_000))
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {b.Sketch._meta.db_table}")
    keys = sorted(b.Sketch.objects.values_list("pk", flat=True))
    table = _table(b.Sketch, keys[50_000:54_000], tables)
    part = list(table.slices(2_000))[1]
    rows = table.rows(part).order_by("pk").values_list("pk", "strokes")
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    name = b.Sketch._meta.db_table
    scans = [n for n in _nodes(plan[0]["Plan"]) if n.get("Relation Name") == name]
    assert scans and all(n["Node Type"] != "Seq Scan" for n in scans), scans
    assert sorted(pk for pk, _ in rows) == keys[52_000:54_000]


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from _nodes(child)
