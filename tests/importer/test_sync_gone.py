"""The rows an earlier sync created that are gone here: every one of them is found.

The oracle looks each entry's row up by its key. On SQLite the rows of a
span of keys are counted first: a row gone anywhere in it, or between its
keys, is found all the same.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from django_graft.archive.jsonenc import loads
from django_graft.exceptions import GraftError
from django_graft.importer.ledger import Ledger
from django_graft.models import GraftLedgerEntry
from django_graft.schema.labels import resolve_model
from tests.importer.syncing import OTHER, ledger, sync
from tests.importer.tables import archive_of
from tests.snapshots import every_table
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db(databases=["default", "other"])


def _read(world: World) -> Ledger:
    header = loads(archive_of(world.org).splitlines()[0])
    return Ledger.of(header, OTHER)


def _gone(ledger: Ledger, model: Any) -> set[Any] | None:
    targets = dict(ledger.entries[model].targets)
    return ledger.gone_targets(model, list(targets.values()))


def _oracle(ledger: Ledger, model: Any) -> set[Any]:
    manager = model._base_manager.using(OTHER)
    return {
        key
        for key, target in ledger.entries[model].targets.items()
        if not manager.filter(pk=target).exists()
    }


@pytest.mark.parametrize("which", [0, 1, -1])
def test_a_row_gone_anywhere_among_the_tasks_is_found(world: World, which: int) -> None:
    sync(archive_of(world.org))
    ledger = _read(world)
    targets = sorted(ledger.entries[m.Task].targets.values())
    m.Task.objects.using(OTHER).filter(pk=targets[which]).delete()
    found = _gone(ledger, m.Task)
    if found is None:
        assert connections[OTHER].vendor != "sqlite"
        return
    assert found == _oracle(ledger, m.Task) != set()


def test_rows_gone_between_the_keys_leave_the_rest_found_here(world: World) -> None:
    """Rows between the keys asked about, not among them, are gone: those asked about
    are still here."""
    sync(archive_of(world.org))
    ledger = _read(world)
    targets = sorted(ledger.entries[m.Task].targets.values())
    m.Task.objects.using(OTHER).filter(pk=targets[1]).delete()  # with what it owns
    gone = _oracle(ledger, m.Task)
    entries = ledger.entries[m.Task].targets
    for key in gone:
        del entries[key]
    found = _gone(ledger, m.Task)  # the gone rows' entries too: the caller asks for the rest
    assert gone and (found is None or not found & set(entries))
    assert _oracle(ledger, m.Task) == set()


def test_rows_all_here_take_one_query_each_model(world: World) -> None:
    sync(archive_of(world.org))
    ledger = _read(world)
    for model in ledger.entries:
        with CaptureQueriesContext(connections[OTHER]) as queries:
            found = _gone(ledger, model)
        assert len(queries) == (0 if found is None else 1), resolve_model(ledger.labels[model])
        assert found in (set(), None)
        assert _oracle(ledger, model) == set()


# Edited ledgers and tables: a key no row has is a row gone, named; nothing written.


def _refused(data: bytes, match: str) -> None:
    snapshot = (every_table(OTHER), ledger())
    with pytest.raises(GraftError, match=match):
        sync(data)
    assert (every_table(OTHER), ledger()) == snapshot


@pytest.mark.parametrize("target", [str(2**63), str(2**64 - 1), str(-(2**63) - 1)])
def test_an_entry_naming_a_key_past_64_bits_is_refused_by_name(world: World, target: str) -> None:
    data = archive_of(world.org)
    sync(data)
    entries = GraftLedgerEntry.objects.using(OTHER).filter(model="testapp.organisation")
    entries.update(target_key=target)
    _refused(data, "testapp.organisation .* whose keys are not keys")


@pytest.mark.parametrize("spelling", ["true", "0_{}", "{}.5", "\u0661", "+{}"])
def test_an_entry_naming_another_rows_key_misspelt_is_refused_by_name(
    world: World, spelling: str
) -> None:
    """A task's entry edited to a text that is no JSON integer, though Python's int()
    or the key field would read it as the key of another task's row here: refused, so
    that two tasks of the archive never go to one row."""
    data = archive_of(world.org)
    sync(data)
    entries = GraftLedgerEntry.objects.using(OTHER).filter(model="testapp.task")
    pairs = sorted(entries.values_list("source_key", "target_key"), key=lambda p: int(p[0]))
    other = pairs[0][1]  # the row here of another task of the archive
    entries.filter(source_key=pairs[2][0]).update(target_key=spelling.format(other))
    _refused(data, "not keys|deleted")


def test_a_row_gone_is_found_where_a_key_between_is_not_an_integer(world: World) -> None:
    """A key column that is not SQLite's rowid (``bigint``) holds any number: a row keyed
    2.5 between the notes' keys does not stand for the note deleted here."""
    if connections[OTHER].vendor != "sqlite":
        pytest.skip("SQLite's column affinity")
    data = archive_of(world.org)
    sync(data)
    with connections[OTHER].cursor() as cursor:
        cursor.execute(
            "CREATE TABLE note_new (id bigint NOT NULL PRIMARY KEY, content_type_id integer "
            "NOT NULL, object_id varchar(64) NOT NULL, text text NOT NULL)"
        )
        cursor.execute(
            "INSERT INTO note_new SELECT id, content_type_id, object_id, text FROM testapp_note"
        )
        cursor.execute("DROP TABLE testapp_note")
        cursor.execute("ALTER TABLE note_new RENAME TO testapp_note")
    notes = GraftLedgerEntry.objects.using(OTHER).filter(model="testapp.note")
    targets = sorted(int(key) for key in notes.values_list("target_key", flat=True))
    with connections[OTHER].cursor() as cursor:
        cursor.execute("DELETE FROM testapp_note WHERE id = %s", [targets[1]])
        cursor.execute(
            "INSERT INTO testapp_note (id, content_type_id, object_id, text) "
            "SELECT %s, content_type_id, 'x', 'x' FROM testapp_note WHERE id = %s",
            [targets[0] + 0.5, targets[0]],
        )
    _refused(data, "deleted")
