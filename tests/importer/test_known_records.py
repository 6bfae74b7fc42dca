"""A sync files the records its ledger knows byte for byte without parsing them.

The oracle is the archives' bytes: a record line the earlier sync read, the
same to the byte, is the one it knows; every other line is parsed, and
whatever the shortcut takes, the sync's outcome is the outcome of reading
every line (checked against a sync that parses them all).
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.db import connections

from django_graft import import_archive
from django_graft.archive import reader
from django_graft.archive.jsonenc import loads
from django_graft.exceptions import ArchiveFormatError
from django_graft.importer import known
from django_graft.importer import ledger as ledgers
from django_graft.importer.ledger import Ledger
from django_graft.importer.source import Sorter
from django_graft.importer.spool import ModelSpool
from django_graft.models import GraftLedgerEntry
from django_graft.schema.labels import resolve_model
from tests.importer.syncing import OTHER, ledger, sync
from tests.importer.tables import archive_of, rewrite
from tests.snapshots import every_table
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db(databases=["default", "other"])

#: Django's integer key fields: the records a sync may take without parsing.
_INTEGER_KEYS = {"AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField"}


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    """``(label, pk)`` of every record line a sync parses, in order."""
    seen: list[tuple[str, Any]] = []
    original = Sorter._record

    def record(self: Sorter, number: int, raw: bytes, item: dict[str, Any]) -> None:
        seen.append((item["model"], _hashable(item["pk"])))
        original(self, number, raw, item)

    monkeypatch.setattr(Sorter, "_record", record)
    return seen


def _records(data: bytes) -> dict[bytes, tuple[str, Any]]:
    """``{record line: (label, pk)}`` of an archive."""
    found = {}
    for line in data.splitlines()[1:-1]:
        item = loads(line)
        if "model" in item:
            found[line] = (item["model"], _hashable(item["pk"]))
    return found


def _hashable(key: Any) -> Any:
    return tuple(key) if isinstance(key, list) else key


def _integer_key(label: str) -> bool:
    pk: Any = resolve_model(label)._meta.pk
    while pk.is_relation:  # a multi-table child's key is its parent's
        pk = pk.target_field
    return not hasattr(pk, "fields") and pk.get_internal_type() in _INTEGER_KEYS


def _rename_a_project(world: World) -> None:
    m.Project.objects.filter(pk=world.projects[0].pk).update(name="renamed at the source")


def test_a_resync_parses_only_the_records_that_changed(
    world: World, parsed: list[tuple[str, Any]]
) -> None:
    first = archive_of(world.org)
    sync(first)
    _rename_a_project(world)
    second = archive_of(world.org)
    parsed.clear()
    result = sync(second)
    before = _records(first)
    expected = {
        record
        for line, record in _records(second).items()
        if line not in before or not _integer_key(record[0])
    }
    assert set(parsed) == expected
    assert ("testapp.project", world.projects[0].pk) in expected
    assert result.report("testapp.project").updated == 1


def _sync_while(
    world: World, monkeypatch: pytest.MonkeyPatch, parsed: list[Any], meanwhile: str
) -> tuple[bytes, bytes, Any]:
    """Sync the tree, rename a project at the source, and sync it again while ``meanwhile``
    happens to the target once the second archive's header is read; the two archives
    and the second sync's result."""
    first = archive_of(world.org)
    sync(first)
    _rename_a_project(world)
    second = archive_of(world.org)
    original = known.SyncSorter.header

    def header(self: known.SyncSorter, header: dict[str, Any]) -> None:
        original(self, header)
        if meanwhile == "a write elsewhere":
            m.Country.objects.using(OTHER).create(code="zz", name="written meanwhile")
        elif meanwhile == "another sync":
            monkeypatch.setattr(known.SyncSorter, "header", original)
            sync(second)

    monkeypatch.setattr(known.SyncSorter, "header", header)
    parsed.clear()
    return first, second, sync(second)


def test_a_write_elsewhere_while_the_archive_is_read_leaves_the_records_taken(
    world: World, parsed: list[tuple[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database changed, not the tree's ledger: read again, it still knows the records."""
    first, second, result = _sync_while(world, monkeypatch, parsed, "a write elsewhere")
    before = _records(first)
    assert set(parsed) == {
        record
        for line, record in _records(second).items()
        if line not in before or not _integer_key(record[0])
    }
    assert result.report("testapp.project").updated == 1
    assert m.Country.objects.using(OTHER).filter(code="zz").exists()


@pytest.mark.django_db(databases=["default", "other"], transaction=True)
@pytest.mark.parametrize("meanwhile", ["nothing", "a write elsewhere", "another sync"])
def test_outside_a_transaction_what_happened_meanwhile_is_seen(
    world: World, parsed: list[tuple[str, Any]], monkeypatch: pytest.MonkeyPatch, meanwhile: str
) -> None:
    """Read outside any transaction (on SQLite, the database's change counters tell
    whether the ledger may have changed): the outcome is the same whatever happened."""
    result = _sync_while(world, monkeypatch, parsed, meanwhile)[2]
    assert result.created == 0
    assert result.report("testapp.project").updated == (meanwhile != "another sync")
    tree = m.Task.objects.filter(project__organisation=world.org).count()
    assert m.Task.objects.using(OTHER).count() == tree


@pytest.mark.parametrize("block", [1, 2, 3, 1024])
def test_blocks_of_any_length_give_what_parsing_every_line_gives(
    world: World, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    first = archive_of(world.org)
    sync(first)
    _rename_a_project(world)
    m.Task.objects.create(project=world.projects[0], title="added at the source")
    second = archive_of(world.org)
    snapshot = (every_table(OTHER), ledger())

    monkeypatch.setattr(known.SyncSorter, "skim", lambda self, number, lines: [None] * len(lines))
    parsed_all = sync(second, dry_run=True)
    monkeypatch.undo()
    monkeypatch.setattr(reader, "_BLOCK_LINES", block)
    skimmed = sync(second, dry_run=True)
    assert (every_table(OTHER), ledger()) == snapshot
    assert skimmed.models == parsed_all.models
    written = sync(second)
    assert written.models == parsed_all.models


def test_a_record_spelled_otherwise_is_still_counted_as_spelled(
    world: World, parsed: list[tuple[str, Any]]
) -> None:
    def spelled(header: Any, items: list[dict[str, Any]]) -> Any:
        for item in items:
            if item.get("model") == "testapp.project":
                item["model"] = "testapp.Project"
        return header, items

    data = rewrite(archive_of(world.org), spelled)
    sync(data)
    parsed.clear()
    again = sync(data)  # the trailer counts the label as the lines spell it
    assert again.created == 0 and again.conflicts == []
    assert ("testapp.Project", world.projects[0].pk) in parsed


def test_a_known_record_twice_is_refused_by_name(world: World) -> None:
    data = archive_of(world.org)
    sync(data)
    line = next(line for line in data.splitlines() if line.startswith(b'{"model":"testapp.task"'))

    def twice(header: Any, items: list[dict[str, Any]]) -> Any:
        return header, [*items, loads(line)]

    snapshot = (every_table(OTHER), ledger())
    with pytest.raises(ArchiveFormatError, match="appears twice in the archive"):
        sync(rewrite(data, twice))
    assert (every_table(OTHER), ledger()) == snapshot


def test_known_records_after_the_trailer_are_refused(world: World) -> None:
    data = archive_of(world.org)
    sync(data)
    lines = data.splitlines(keepends=True)
    snapshot = (every_table(OTHER), ledger())
    with pytest.raises(ArchiveFormatError, match="Data follows the trailer") as info:
        sync(b"".join([*lines, *lines[1:-1]]))
    assert info.value.line == len(lines) + 1
    assert (every_table(OTHER), ledger()) == snapshot


def test_an_entry_naming_another_rows_record_is_not_taken_for_it(
    world: World, parsed: list[tuple[str, Any]]
) -> None:
    data = archive_of(world.org)
    sync(data)
    tasks = GraftLedgerEntry.objects.using(OTHER).filter(model="testapp.task").order_by("pk")
    one, other = tasks[0], tasks[1]
    # The first task's entry now holds the second task's record's digest.
    tasks.filter(pk=one.pk).update(source_fingerprint=other.source_fingerprint)
    tables = every_table(OTHER)
    parsed.clear()
    again = sync(data)
    assert again.created == 0 and again.conflicts == []
    assert every_table(OTHER) == tables
    assert ("testapp.task", loads(one.source_key)) in parsed


def test_the_ledger_read_in_one_query_is_the_ledger_read_row_by_row(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    header = loads(archive_of(world.org).splitlines()[0])
    sync(archive_of(world.org))
    joined = Ledger.of(header, OTHER)
    monkeypatch.setattr(ledgers, "joined_entries", lambda *args: None)
    rows = Ledger.of(header, OTHER)
    assert joined.known == rows.known
    assert {model: dict(entries) for model, entries in joined.entries.items()} == {
        model: dict(entries) for model, entries in rows.entries.items()
    }
    # Every kind of key is there: integers, strings, UUIDs, composite keys
    # (on Django 5.2 and later).
    kinds = {m.Country, m.Document, m.Task, getattr(m, "TaskTag", m.Task)}
    assert kinds <= set(rows.entries)


def test_an_entry_that_does_not_join_cleanly_is_read_row_by_row(world: World) -> None:
    header = loads(archive_of(world.org).splitlines()[0])
    sync(archive_of(world.org))
    clean = Ledger.of(header, OTHER)
    entries = GraftLedgerEntry.objects.using(OTHER).filter(model="testapp.task")
    entries.filter(pk=entries.order_by("pk")[0].pk).update(source_fingerprint="short")
    read = Ledger.of(header, OTHER)
    assert dict(read.entries[m.Task]) == dict(clean.entries[m.Task])
    assert "short" in read.known
    if connections[OTHER].vendor == "sqlite":
        assert len(read.known) == len(clean.known)


def test_a_sync_refuses_damage_wherever_the_blocks_end(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = archive_of(world.org)
    sync(data)
    lines = data.splitlines(keepends=True)
    cut = [*lines[:-3], lines[-3][:10]]
    snapshot = (every_table(OTHER), ledger())
    for block in (1, 2, 5):
        monkeypatch.setattr(reader, "_BLOCK_LINES", block)
        with pytest.raises(ArchiveFormatError, match=f"Line {len(cut)} is cut short"):
            import_archive(io.BytesIO(b"".join(cut)), using=OTHER, pks="remap", sync=True)
    assert (every_table(OTHER), ledger()) == snapshot


@pytest.mark.parametrize(
    "fields",
    [
        [{"content_type": 12, "object_id": "1"}, {"content_type": 14, "object_id": "2"}],
        [{"content_type": None, "object_id": None}, {"content_type": 12, "object_id": "3"}],
        # A JSON value holding the same key: the lines are parsed instead.
        [{"data": {"content_type": 99}, "content_type": 12}, {"content_type": 14}],
        [{"data": '"content_type":98,', "content_type": 12}],
        [{"content_type": "contenttypes.contenttype:12"}],
    ],
)
def test_the_content_types_of_known_lines_are_those_the_lines_hold(fields: list[Any]) -> None:
    spool = ModelSpool(m.Note, "testapp.note", io.BytesIO())
    spool.generic_targets = {"content_type": set()}
    rows = [
        json.dumps(
            {"model": "testapp.note", "pk": pk, "fields": value, "role": "own"},
            separators=(",", ":"),
        ).encode()
        + b"\n"
        for pk, value in enumerate(fields, start=1)
    ]
    known._note_targets(spool, rows)
    held = {json.loads(row)["fields"]["content_type"] for row in rows}
    assert spool.generic_targets["content_type"] == {
        value for value in held if isinstance(value, int | str)
    }
