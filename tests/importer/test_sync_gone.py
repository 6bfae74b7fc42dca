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
from django_graft.importer.ledger import Ledger
from django_graft.schema.labels import resolve_model
from tests.importer.syncing import OTHER, sync
from tests.importer.tables import archive_of
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
