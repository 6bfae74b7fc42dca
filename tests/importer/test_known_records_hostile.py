"""A sync's records taken unparsed, against hostile archives, edited ledgers and races.

The oracle of most tests is a sync that parses every line (the skimmer
switched off): whatever the shortcut takes, the outcome must be that one.
"""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
from typing import Any

import pytest
from django.db import connections, transaction

from django_graft.archive import reader
from django_graft.archive.jsonenc import dumps, loads
from django_graft.exceptions import ArchiveFormatError, GraftError
from django_graft.importer import known
from django_graft.importer import ledger as ledgers
from django_graft.importer.ledger import Ledger
from django_graft.importer.source import load_archive
from django_graft.importer.spool import ModelSpool
from django_graft.models import GraftLedgerEntry
from tests.archive.signatures import signature_of
from tests.importer.syncing import OTHER, ledger, sync
from tests.importer.tables import archive_of, rewrite
from tests.snapshots import every_table
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db(databases=["default", "other"])


def _parse_every_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(known.SyncSorter, "skim", lambda self, number, lines: [None] * len(lines))


def _reseal(lines: list[bytes]) -> bytes:
    """Header and item lines as given (raw bytes), with a fresh, signed trailer."""
    counts: dict[str, int] = {}
    references: dict[str, int] = {}
    for raw in lines[1:]:
        item = loads(raw)
        tally, label = (references, item["ref"]) if "ref" in item else (counts, item["model"])
        tally[str(label)] = tally.get(str(label), 0) + 1
    body = b"".join(lines)
    digest = hashlib.sha256(body).hexdigest()
    trailer = {"end": True, "counts": counts, "references": references, "sha256": digest}
    trailer["signature"] = signature_of(digest)
    return body + dumps(trailer) + b"\n"


def _task_lines(lines: list[bytes]) -> list[int]:
    """The indexes of the task records among ``lines``."""
    return [i for i, line in enumerate(lines) if line.startswith(b'{"model":"testapp.task",')]


def _in_rollback(data: bytes, **options: Any) -> Any:
    """A sync's result, rolled back."""
    with transaction.atomic(using=OTHER):
        result = sync(data, **options)
        transaction.set_rollback(True, using=OTHER)
    return result


# Another sync commits while the archive is read: the ledger is read again.


def test_a_sync_that_commits_while_the_archive_is_read_is_seen(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another sync of the tree commits after this one read the ledger with the header.

    Before the change the ledger was read in the import's transaction, after
    the archive: the other sync's rows are this tree's rows, found unchanged.
    With it, the stale ledger (read with the header) has none of them: the
    whole tree is created a second time, and the ledger's entries are moved
    to the copies (the first copies are orphaned, never pruned).
    """
    data = archive_of(world.org)
    original = known.SyncSorter.header
    done: list[bool] = []

    def header(self: known.SyncSorter, header: dict[str, Any]) -> None:
        original(self, header)
        if not done:
            done.append(True)
            sync(data)  # another process's sync of the same tree commits now

    monkeypatch.setattr(known.SyncSorter, "header", header)
    second = sync(data, on_conflict="update")
    tree = m.Task.objects.filter(project__organisation=world.org).count()
    assert m.Task.objects.using(OTHER).count() == tree
    assert second.created == 0


# The header is not yet verified when the ledger is read: damage is judged first.


def _damaged(data: bytes) -> bytes:
    """``data`` with one record edited after it was sealed: its sha256 no longer matches."""
    lines = data.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith(b'{"model":"testapp.task"'))
    lines[at] = lines[at].replace(b'"title":"', b'"title":"X', 1)
    return b"".join(lines)


@pytest.mark.parametrize("roots", [5, True, 1.5])
def test_a_damaged_archive_whose_roots_are_not_a_list_is_refused_by_name(
    world: World, roots: Any
) -> None:
    """Roots the ledger cannot use leave the archive to the usual checks, damage first."""

    def odd_roots(header: Any, items: list[Any]) -> Any:
        return {**header, "roots": roots}, items

    data = _damaged(rewrite(archive_of(world.org), odd_roots))
    snapshot = (every_table(OTHER), ledger())
    with pytest.raises(ArchiveFormatError, match="altered"):
        sync(data)
    assert (every_table(OTHER), ledger()) == snapshot


def test_a_damaged_archive_is_refused_for_its_damage_not_for_its_header(world: World) -> None:
    """The unverified header's word (no installation) waits for the hash to be checked."""

    def no_installation(header: Any, items: list[Any]) -> Any:
        return {**header, "installation": ""}, items

    data = _damaged(rewrite(archive_of(world.org), no_installation))
    with pytest.raises(ArchiveFormatError, match="altered"):
        sync(data)


# A record taken unparsed is held to this archive's header once parsed.


def test_a_known_record_holding_a_field_the_header_left_out_is_refused(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parsed, the archive is refused ("the archive was altered"); so it is when a
    record taken unparsed is parsed to create a task deleted here again."""
    data = archive_of(world.org)
    sync(data)

    def title_left_out(header: Any, items: list[Any]) -> Any:
        header["models"]["testapp.task"]["left_out"] = ["title"]
        return header, items

    altered = rewrite(data, title_left_out)
    entry = GraftLedgerEntry.objects.using(OTHER).filter(model="testapp.task").order_by("pk")[0]
    m.Task.objects.using(OTHER).filter(pk=loads(entry.target_key)).delete()
    snapshot = (every_table(OTHER), ledger())

    with monkeypatch.context() as parsing:
        _parse_every_line(parsing)
        with pytest.raises(ArchiveFormatError, match="does not declare"):
            sync(altered, on_conflict="update")
    with pytest.raises(ArchiveFormatError, match="does not declare"):
        sync(altered, on_conflict="update")
    assert (every_table(OTHER), ledger()) == snapshot


# Records taken unparsed are filed in archive order with the parsed ones.


def test_records_are_spooled_in_archive_order(world: World) -> None:
    data = archive_of(world.org)
    sync(data)
    m.Project.objects.filter(pk=world.projects[0].pk).update(name="renamed")  # the first project
    sorter = known.SyncSorter(lambda header: Ledger.of(header, OTHER))
    contents = load_archive(io.BytesIO(archive_of(world.org)), sorter)
    try:
        assert contents.spools[m.Project].order == [p.pk for p in world.projects]
    finally:
        contents.close()


def test_rows_created_again_take_the_keys_a_parsed_read_gives_them(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two tasks deleted here, the first also changed at the source: created again
    in archive order, whether their lines were taken unparsed or not."""
    sync(archive_of(world.org))
    tasks = list(m.Task.objects.filter(project__organisation=world.org).order_by("pk"))
    first, second = tasks[3], tasks[4]
    m.Task.objects.filter(pk=first.pk).update(title="changed at the source")
    for task in (first, second):
        entry = GraftLedgerEntry.objects.using(OTHER).get(
            model="testapp.task", source_key=str(task.pk)
        )
        m.Task.objects.using(OTHER).filter(pk=loads(entry.target_key)).delete()
    data = archive_of(world.org)
    skimmed = _in_rollback(data, on_conflict="update").key_map["testapp.task"]
    _parse_every_line(monkeypatch)
    parsed = _in_rollback(data, on_conflict="update").key_map["testapp.task"]
    # Keys drawn from a sequence are not given back by a rollback: what must
    # agree is which row came first.
    assert sorted(skimmed, key=skimmed.__getitem__) == sorted(parsed, key=parsed.__getitem__)


# A row twice is refused at its second line, whichever line was taken.


def test_a_record_twice_is_refused_at_its_second_line(world: World) -> None:
    data = archive_of(world.org)
    sync(data)
    lines = data.splitlines(keepends=True)
    at = _task_lines(lines)[4]

    def edited_copy_first(header: Any, items: list[Any]) -> Any:
        item = loads(lines[at])
        copy = {**item, "fields": {**item["fields"], "title": "edited"}}
        return header, [*items[: at - 1], copy, *items[at - 1 :]]

    # The edited copy is line at + 1, the known record (its second line) at + 2.
    with pytest.raises(ArchiveFormatError, match="appears twice") as refused:
        sync(rewrite(data, edited_copy_first))
    assert refused.value.line == at + 2


# The content types read from a line's bytes are those it holds.


@pytest.mark.parametrize(
    "fields",
    [
        b'{"content_type":12,"content_type": 14,"object_id":"1","text":"t"}',
        b'{"content_type":12,"object_id":"1","text":"t","content_type":14 }',
    ],
)
def test_the_content_type_of_a_line_with_a_key_twice_is_the_one_it_holds(fields: bytes) -> None:
    """JSON (orjson, json) reads the last of two equal keys: so must the search."""
    spool = ModelSpool(m.Note, "testapp.note", io.BytesIO())
    spool.generic_targets = {"content_type": set()}
    row = b'{"model":"testapp.note","pk":1,"fields":' + fields + b',"role":"own"}\n'
    known._note_targets(spool, [row])
    assert spool.generic_targets["content_type"] == {json.loads(row)["fields"]["content_type"]}


# An edited ledger reads in one query as it reads row by row.


def test_entries_whose_fingerprints_were_cut_elsewhere_read_as_row_by_row(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fingerprints of 63 and 65 characters join into 128: they are read row by row."""
    if connections[OTHER].vendor != "sqlite":
        pytest.skip("only SQLite stores a fingerprint of 65 characters in its 64")
    header = loads(archive_of(world.org).splitlines()[0])
    sync(archive_of(world.org))
    one, two = GraftLedgerEntry.objects.using(OTHER).filter(model="testapp.task").order_by("pk")[:2]
    joined = one.source_fingerprint + two.source_fingerprint
    entries = GraftLedgerEntry.objects.using(OTHER)
    entries.filter(pk=one.pk).update(source_fingerprint=joined[:63])
    entries.filter(pk=two.pk).update(source_fingerprint=joined[63:])
    in_one_query = Ledger.of(header, OTHER)
    monkeypatch.setattr(ledgers, "joined_entries", lambda *args: None)
    row_by_row = Ledger.of(header, OTHER)
    assert in_one_query.known == row_by_row.known


@pytest.mark.skipif(not hasattr(m, "TaskTag"), reason="composite keys need Django 5.2")
@pytest.mark.parametrize("word", ["true", "null"])
def test_entries_whose_keys_do_not_read_as_keys_are_refused_by_name(
    world: World, word: str
) -> None:
    """Entries whose keys are not JSON, though joined they read as a clean list, are
    refused by name, as row by row."""
    header = loads(archive_of(world.org).splitlines()[0])
    sync(archive_of(world.org))
    tasktags = GraftLedgerEntry.objects.using(OTHER).filter(model="testapp.tasktag")
    keys = sorted(tasktags.values_list("source_key", flat=True))
    one, two = keys[-2], keys[-1]  # "[8,2]" and "[9,3]"
    # "[8,2]" and "[9,3]" become "[8,2],[9" and "<word>]": neither is a key.
    tasktags.filter(source_key=one).update(source_key=one + "," + two[: two.index(",")])
    tasktags.filter(source_key=two).update(source_key=word + "]")
    with pytest.raises(GraftError, match="whose keys are not keys"):
        Ledger.of(header, OTHER)


@pytest.mark.parametrize("label", ["testapp.task", "testapp.document"])
def test_entries_that_join_into_as_many_values_are_refused_by_name(
    world: World, label: str
) -> None:
    """Two entries "1,[1" and "2]" join into "1,[1,2]": two values, as many as there are
    entries, and neither of them the key of either. Integer keys (the list is not all
    integers) as UUIDs (the entries are not JSON) are read row by row, which names them."""
    header = loads(archive_of(world.org).splitlines()[0])
    sync(archive_of(world.org))
    entries = GraftLedgerEntry.objects.using(OTHER).filter(model=label)
    one, two = sorted(entries.values_list("source_key", flat=True))[:2]
    entries.filter(source_key=one).update(source_key=f"{one},[{one}")
    entries.filter(source_key=two).update(source_key=f"{two}]")
    with pytest.raises(GraftError, match="whose keys are not keys"):
        Ledger.of(header, OTHER)


def test_a_ledger_too_long_to_join_is_read_row_by_row(world: World) -> None:
    """A model's entries joined past SQLite's longest string (``SQLITE_LIMIT_LENGTH``,
    10**9 bytes by default, some 15 million entries; lowered here)."""
    length = getattr(sqlite3, "SQLITE_LIMIT_LENGTH", None)  # from Python 3.11
    if connections[OTHER].vendor != "sqlite" or length is None:
        pytest.skip("SQLite's limits, which Python sets from 3.11")
    data = archive_of(world.org)
    sync(data)
    connections[OTHER].ensure_connection()
    raw = connections[OTHER].connection
    before = raw.setlimit(length, 1000)  # 18 tasks' fingerprints: 1152
    try:
        again = sync(data)
    finally:
        raw.setlimit(length, before)
    assert again.created == 0 and again.conflicts == []


# Code on the connection while the archive is read.


def test_a_ledger_read_in_a_savepoint_rolled_back_meanwhile_is_read_again(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ledger read with the header inside a savepoint that is rolled back before the
    import's transaction begins: a rollback moves none of SQLite's change counters, so
    the entries are counted instead, and read again."""
    data = archive_of(world.org)
    sync(data)
    original = known.SyncSorter.header

    def header(self: known.SyncSorter, header: dict[str, Any]) -> None:
        with transaction.atomic(using=OTHER):
            GraftLedgerEntry.objects.using(OTHER).all().delete()
            original(self, header)  # the ledger is read now: empty
            transaction.set_rollback(True, using=OTHER)

    monkeypatch.setattr(known.SyncSorter, "header", header)
    with transaction.atomic(using=OTHER):
        again = sync(data)
    assert again.created == 0


# Plain imports: data after the trailer, read with the trailer's block.


def test_data_after_the_trailer_is_named_so_whatever_the_size_limit(
    world: World, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The archive proper is within the limit: what follows its trailer is named so,
    even where it crosses MAX_ARCHIVE_BYTES in the trailer's block."""
    data = archive_of(world.org)
    settings.GRAFT = {**getattr(settings, "GRAFT", {}), "MAX_ARCHIVE_BYTES": len(data)}
    monkeypatch.setattr(reader, "_BLOCK_LINES", 5)
    with pytest.raises(ArchiveFormatError, match="Data follows the trailer"):
        load_archive(io.BytesIO(data + b"x\n"))


# A line is counted under the label its trailer counts, taken or parsed.


def test_an_archive_a_sync_accepted_is_accepted_again(world: World) -> None:
    """A record line with "model" twice (same model, two spellings) is counted as
    "testapp.Task" (the last), as its trailer counts it, by every sync."""
    data = archive_of(world.org)
    lines = data.splitlines(keepends=True)[:-1]
    at = _task_lines(lines)[4]
    lines[at] = lines[at].replace(b',"role":"own"}', b',"model":"testapp.Task","role":"own"}')
    twice = _reseal(lines)
    sync(twice)
    again = sync(twice)
    assert again.created == 0 and again.conflicts == []
