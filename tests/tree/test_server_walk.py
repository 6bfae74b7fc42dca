"""The walk with its key sets in temporary tables finds what the walk in Python finds."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import Model
from django.test import override_settings

from django_graft import collect, export
from django_graft.archive.reader import read_archive
from django_graft.db.keytables import KeyTable
from django_graft.exceptions import ObjectNotFound
from django_graft.schema.labels import model_label
from django_graft.tree.graph import Graph
from tests.queries import count_queries
from tests.roots import ROOT_NAMES, roots_of
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db


def key_sets(graph: Graph) -> dict[str, dict[str, set[Any]]]:
    """Every role's keys per model, as Python sets (a table read back key by key)."""
    return {
        role: {model_label(model): set(keys) for model, keys in getattr(graph, role).items()}
        for role in ("owned", "needed", "referenced")
    }


@pytest.fixture
def made_tables(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the key tables made while a test runs."""
    names: list[str] = []
    create = KeyTable.__init__

    def spy(self: KeyTable, *args: Any, **kwargs: Any) -> None:
        create(self, *args, **kwargs)
        names.append(self.name)

    monkeypatch.setattr(KeyTable, "__init__", spy)
    return names


def left_behind(names: list[str]) -> list[str]:
    """Those of the tables the database still has, asked in plain SQL, one at a time."""
    found = []
    for name in names:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"SELECT 1 FROM {name}")
            found.append(name)
        except DatabaseError:
            pass
    return found


@pytest.mark.parametrize("name", ROOT_NAMES)
def test_every_root_walks_to_the_same_keys_both_ways(
    world: World, name: str, made_tables: list[str]
) -> None:
    root = roots_of(world)[name]
    in_python = collect(root)
    in_tables = collect(root, server_side_keys=1)
    try:
        assert key_sets(in_tables) == key_sets(in_python)
        assert in_tables.counts() == in_python.counts()
        assert {m: r.role for m, r in in_tables.reasons.items()} == {
            m: r.role for m, r in in_python.reasons.items()
        }
        assert in_tables.warnings == in_python.warnings
    finally:
        in_tables.close()
    assert not left_behind(made_tables)


def records_of(data: bytes) -> tuple[dict[str, Any], list[str]]:
    archive = read_archive(io.BytesIO(data), keep_records=True)
    header = {k: v for k, v in archive.header.items() if k != "created_at"}
    return header, sorted(json.dumps(r, sort_keys=True) for r in archive.records)


def exported(root: Model, limit: int | None) -> bytes:
    buffer = io.BytesIO()
    with override_settings(GRAFT={"SERVER_SIDE_KEYS": limit}):
        export(root, buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("name", ROOT_NAMES)
def test_every_root_exports_the_same_records_both_ways(
    world: World, name: str, made_tables: list[str]
) -> None:
    root = roots_of(world)[name]
    assert records_of(exported(root, 1)) == records_of(exported(root, None))
    assert not left_behind(made_tables)


def test_integer_keys_export_in_the_same_order_byte_for_byte(world: World) -> None:
    joined, listed = exported(world.org, 1), exported(world.org, None)
    assert joined.splitlines()[1:-1] == listed.splitlines()[1:-1]


def test_keys_move_into_tables_only_past_the_limit(world: World) -> None:
    largest = max(max(c.owned, c.needed, c.referenced) for c in collect(world.org).counts())
    graph = collect(world.org, server_side_keys=largest)
    assert not graph.in_database
    tasks = m.Task.objects.filter(project__organisation=world.org).count()
    assert tasks == largest
    graph = collect(world.org, server_side_keys=tasks - 1)
    try:
        assert graph.in_database
        assert isinstance(graph.owned[m.Task], KeyTable)
        assert set(graph.owned[m.Task]) == set(
            m.Task.objects.filter(project__organisation=world.org).values_list("pk", flat=True)
        )
    finally:
        graph.close()


def test_query_count_does_not_grow_with_the_tree(
    small_and_big: tuple[m.Organisation, m.Organisation],
) -> None:
    small, big = small_and_big

    def walk(root: m.Organisation) -> None:
        collect(root, server_side_keys=1).close()

    def statements(root: m.Organisation, starting: str = "") -> int:
        return count_queries(lambda: walk(root), starting=starting)

    # On PostgreSQL a table is analysed after a fill of many keys: more such
    # statements for the big tree, and no others.
    analysed = [statements(root, "ANALYZE") for root in (small, big)]
    assert statements(small) - analysed[0] == statements(big) - analysed[1]


def test_a_closed_graph_keeps_its_counts_and_refuses_its_keys(
    world: World, made_tables: list[str]
) -> None:
    graph = collect(world.org, server_side_keys=1)
    total = graph.total_rows
    graph.close()
    assert graph.total_rows == total
    in_table = next(keys for keys in graph.owned.values() if isinstance(keys, KeyTable))
    with pytest.raises(RuntimeError, match=r"testapp\.\w+ were kept in a temporary table"):
        list(in_table)
    assert not left_behind(made_tables)


def test_a_failed_walk_drops_its_tables(world: World, made_tables: list[str]) -> None:
    with pytest.raises(ObjectNotFound):
        collect({m.Project: [world.projects[0].pk, 999_999]}, server_side_keys=1)
    assert made_tables and not left_behind(made_tables)
