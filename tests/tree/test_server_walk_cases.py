"""Hard cases of the walk with its keys in tables: links to missing rows, empty parts, handlers."""

from __future__ import annotations

import io
import uuid
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.test import override_settings

from django_graft import DeleteBlocked, Policy, collect, delete, export
from django_graft.db.keytables import KeyTable
from django_graft.policy.loading import default_policy
from django_graft.tree.walk import Collector
from tests.queries import count_queries
from tests.snapshots import every_table
from tests.testapp import boards as b
from tests.testapp import constructs as c
from tests.testapp import models as m
from tests.testapp.world import World, build_world
from tests.tree.test_server_walk import key_sets, left_behind, made_tables, records_of

pytestmark = pytest.mark.django_db

__all__ = ["made_tables"]  # a fixture of the tests here too

STICKERS_OWN = Policy(edges={"testapp.Sticker.target": "own"})


def both_ways(roots: Any, policy: Policy | None = None) -> None:
    """The walk in tables finds the keys, counts and warnings the walk in Python finds."""
    in_python = collect(roots, policy=policy)
    in_tables = collect(roots, policy=policy, server_side_keys=1)
    try:
        assert key_sets(in_tables) == key_sets(in_python)
        assert in_tables.counts() == in_python.counts()
        assert in_tables.warnings == in_python.warnings
    finally:
        in_tables.close()


def dangling_stickers() -> dict[Any, list[Any]]:
    """Two stickers whose generic foreign key names catalogues that do not exist."""
    ct = ContentType.objects.get_for_model(c.Catalogue)
    made = [
        c.Sticker.objects.create(content_type=ct, object_id=key, text=f"s{key}")
        for key in (987_654, 987_655)
    ]
    return {c.Sticker: [s.pk for s in made]}


def test_rows_of_a_missing_generic_target_are_never_owned(db: None) -> None:
    roots = dangling_stickers()
    ct = ContentType.objects.get_for_model(c.Catalogue)
    outside = c.Reply.objects.create(content_type=ct, object_id=987_654, text="not in the tree")
    both_ways(roots, STICKERS_OWN)
    with override_settings(GRAFT={"SERVER_SIDE_KEYS": 1}):
        result = delete(roots, policy=STICKERS_OWN)
    assert "testapp.reply" not in result.deleted
    assert c.Reply.objects.filter(pk=outside.pk).exists()


def test_missing_targets_among_needed_rows_are_warned_of(db: None, made_tables: list[str]) -> None:
    ct = ContentType.objects.get_for_model(m.Project)
    owner = m.Person.objects.create(username="owner")
    for key in (999_001, 999_002):
        m.Bookmark.objects.create(owner=owner, content_type=ct, object_id=key)
    both_ways(owner)
    with override_settings(GRAFT={"SERVER_SIDE_KEYS": 1}):
        export(owner, io.BytesIO())
    assert not left_behind(made_tables)


def test_a_role_emptied_of_missing_rows_takes_new_ones(db: None) -> None:
    roots = dangling_stickers()
    colour = c.Colour.objects.create(name="x")
    entry = c.Entry.objects.create(
        catalogue=c.Catalogue.objects.create(name="real"), number=1, colour=colour
    )
    roots[c.Sticker].append(c.Sticker.objects.create(target=entry, text="s3").pk)
    both_ways(
        roots, Policy(edges={"testapp.Sticker.target": "own", "testapp.Entry.catalogue": "own"})
    )


def test_a_missing_target_found_while_its_model_is_walked_is_checked_later(db: None) -> None:
    stickers = [
        c.Sticker.objects.create(target=c.Catalogue.objects.create(name=f"c{i}"), text="s")
        for i in range(2)
    ]
    owner = m.Person.objects.create(username="owner")
    ct = ContentType.objects.get_for_model(c.Catalogue)
    m.Bookmark.objects.create(owner=owner, content_type=ct, object_id=987_654)
    outside = c.Reply.objects.create(content_type=ct, object_id=987_654, text="outside")
    roots = {m.Person: [owner.pk], c.Sticker: [s.pk for s in stickers]}
    policy = Policy(edges={"testapp.Bookmark.target": "own", "testapp.Sticker.target": "own"})
    both_ways(roots, policy)
    with override_settings(GRAFT={"SERVER_SIDE_KEYS": 1}):
        delete(roots, policy=policy)
    assert c.Reply.objects.filter(pk=outside.pk).exists()


def test_parts_of_a_table_cover_it_once_without_an_empty_one(world: World) -> None:
    keys = list(m.Task.objects.values_list("pk", flat=True).order_by("pk")[:4])
    table = KeyTable(m.Task, connection.alias)
    try:
        table.add(keys)
        for size, expected in ((2, [2, 2]), (3, [3, 1]), (4, [4]), (5, [4])):
            parts = [
                list(table.rows(part).values_list("pk", flat=True)) for part in table.slices(size)
            ]
            assert [len(p) for p in parts] == expected
            assert sorted(k for p in parts for k in p) == keys
    finally:
        table.drop()


def test_an_export_whose_models_fill_whole_batches(world: World, made_tables: list[str]) -> None:
    projects = m.Project.objects.filter(organisation=world.org).count()
    exported = []
    for limit in (None, 1):
        buffer = io.BytesIO()
        with override_settings(GRAFT={"SERVER_SIDE_KEYS": limit, "BATCH_SIZE": projects}):
            export(world.org, buffer)
        exported.append(records_of(buffer.getvalue()))
    assert exported[0] == exported[1]
    assert not left_behind(made_tables)


def catalogue_with(entries: int) -> c.Catalogue:
    colour = c.Colour.objects.create(name="x")
    catalogue: c.Catalogue = c.Catalogue.objects.create(name="cat")
    c.Entry.objects.bulk_create(
        [c.Entry(catalogue=catalogue, number=i, colour=colour) for i in range(entries)]
    )
    return catalogue


def dry_run_queries(rows: int, pointing_in: Any, policy: Policy) -> int:
    """The queries of a dry-run delete, keys in tables, of a catalogue of ``rows`` entries.

    ``pointing_in(catalogue)`` adds the rows that point into it; all is rolled back.
    """
    with transaction.atomic():
        catalogue = catalogue_with(rows)
        pointing_in(catalogue)
        with override_settings(GRAFT={"SERVER_SIDE_KEYS": 1}):
            count = count_queries(lambda: delete(catalogue, policy=policy, dry_run=True))
        transaction.set_rollback(True)
    return count


def test_a_handler_of_the_schemas_own_costs_no_query_per_row() -> None:
    def holds(catalogue: c.Catalogue) -> None:
        entries = c.Entry.objects.filter(catalogue=catalogue)
        c.Hold.objects.bulk_create([c.Hold(entry=e, held=False) for e in entries])

    policy = Policy(edges={"testapp.Entry.holds": "own"})
    assert dry_run_queries(5, holds, policy) == dry_run_queries(50, holds, policy)


def test_rows_pointing_in_by_several_columns_cost_no_query_per_row() -> None:
    def mentions(catalogue: c.Catalogue) -> None:
        rows = c.Entry.objects.filter(catalogue=catalogue).count()
        c.Mention.objects.bulk_create(
            [c.Mention(catalogue=catalogue, number=i) for i in range(rows)]
        )

    policy = Policy(edges={"testapp.Entry.mentions": "skip"})
    assert dry_run_queries(4, mentions, policy) == dry_run_queries(40, mentions, policy)


@pytest.mark.parametrize("dangling", [False, True], ids=["", "keys naming no row"])
def test_dynamic_edges_walk_the_same_both_ways(db: None, dangling: bool) -> None:
    board = b.make_big_board("big", 5)
    if dangling:
        sketches = [*board.settings["sketches"], str(uuid.uuid4()), str(uuid.uuid4())]
        board.settings = {**board.settings, "sketches": sketches}
        board.save()
    policy = Policy(dynamic_edges=b.BOARD_EDGES)
    both_ways(board, policy)
    exported = []
    for limit in (None, 1):
        buffer = io.BytesIO()
        with override_settings(GRAFT={"SERVER_SIDE_KEYS": limit}):
            export(board, buffer, policy=policy)
        exported.append(records_of(buffer.getvalue()))
    assert exported[0] == exported[1]


def test_a_read_only_transaction_keeps_the_keys_in_python(
    world: World, made_tables: list[str]
) -> None:
    expected = io.BytesIO()
    export(world.org, expected)
    buffer = io.BytesIO()
    # A transaction begun cannot be made read-only on MariaDB: its session can.
    read_only, read_write = {
        "postgresql": ("SET TRANSACTION READ ONLY", None),
        "mysql": ("SET SESSION TRANSACTION READ ONLY", "SET SESSION TRANSACTION READ WRITE"),
    }.get(connection.vendor, (None, None))
    with override_settings(GRAFT={"SERVER_SIDE_KEYS": 1}), transaction.atomic():
        if read_only:
            with connection.cursor() as cursor:
                cursor.execute(read_only)
        try:
            export(world.org, buffer)
        finally:
            if read_write:
                with connection.cursor() as cursor:
                    cursor.execute(read_write)
    assert records_of(buffer.getvalue()) == records_of(expected.getvalue())
    if read_only:
        assert not made_tables
    assert not left_behind(made_tables)


@pytest.mark.django_db(transaction=True)
def test_an_export_of_its_own_snapshot_writes_its_tables(
    transactional_db: None, made_tables: list[str]
) -> None:
    """Outside any transaction an export opens its own snapshot, where its tables are written."""
    world = build_world()
    expected = io.BytesIO()
    export(world.org, expected)
    buffer = io.BytesIO()
    with override_settings(GRAFT={"SERVER_SIDE_KEYS": 1}):
        export(world.org, buffer)
    assert records_of(buffer.getvalue()) == records_of(expected.getvalue())
    assert made_tables and not left_behind(made_tables)


def test_a_blocked_delete_drops_its_tables_and_writes_nothing(
    world: World, made_tables: list[str]
) -> None:
    before = every_table()
    person = world.people[0]  # led projects PROTECT their lead
    with override_settings(GRAFT={"SERVER_SIDE_KEYS": 1}), pytest.raises(DeleteBlocked):
        delete(person)
    assert every_table() == before
    assert not left_behind(made_tables)


def test_rows_found_past_the_limit_go_into_the_table_without_python(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    catalogue = catalogue_with(30)
    from_python: list[Any] = []
    add = KeyTable.add

    def spy(self: KeyTable, keys: Any) -> None:
        keys = list(keys)
        if self.model is c.Entry:
            from_python.extend(keys)
        add(self, keys)

    monkeypatch.setattr(KeyTable, "add", spy)
    monkeypatch.setattr("django_graft.tree.walk._DISCOVER_CHUNK", 4)
    in_python = collect(catalogue)
    with transaction.atomic():
        in_tables = collect(catalogue, server_side_keys=10)
        try:
            assert key_sets(in_tables) == key_sets(in_python)
            assert isinstance(in_tables.owned[c.Entry], KeyTable)
        finally:
            in_tables.close()
    # The entries read (in chunks of four) up to one past the limit, no more.
    assert len(from_python) == 11


def test_a_generic_key_naming_text_keys_is_followed_in_python(db: None) -> None:
    # An integer object id names a Region by its text key "42": no join compares them.
    c.Region.objects.create(code="42", name="r")
    catalogue = c.Catalogue.objects.create(name="cat")
    stickers = [
        c.Sticker.objects.create(
            content_type=ContentType.objects.get_for_model(model), object_id=key
        )
        for model, key in ((c.Region, 42), (c.Catalogue, catalogue.pk), (c.Region, 43))
    ]
    roots = {c.Sticker: [s.pk for s in stickers]}
    both_ways(roots, STICKERS_OWN)
    with transaction.atomic():
        graph = collect(roots, policy=STICKERS_OWN, server_side_keys=1)
        try:
            assert set(graph.owned[c.Region]) == {"42"}
            assert set(graph.owned[c.Catalogue]) == {catalogue.pk}
        finally:
            graph.close()


@pytest.mark.parametrize("held", [0, 5, 10])
def test_a_reverse_edge_past_the_limit_finds_every_row(held: int) -> None:
    """Rows read up to one past the limit: more go into the table, whichever rows came first."""
    catalogue = catalogue_with(30)
    entries = sorted(c.Entry.objects.values_list("pk", flat=True))
    (edge,) = [e for e in default_policy().edges_of(c.Catalogue) if e.target is c.Entry]
    with transaction.atomic():
        collector = Collector(default_policy(), connection.alias, server_side=10)
        found: dict[Any, Any] = {}
        collector.keys.bag(found, c.Entry).add(entries[:held])
        try:
            collector._discover(edge, c.Entry.objects.filter(catalogue=catalogue), found)
            assert sorted(found[c.Entry].spill()) == entries
        finally:
            collector.keys.drop_all()
