from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import override_settings

from django_graft import Policy, export, import_archive
from django_graft.exceptions import ConflictError
from django_graft.importer import unique
from django_graft.importer.unique import _existing, unique_sets
from tests.snapshots import every_table
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db


def test_unique_sets_include_foreign_keys_and_together_sets() -> None:
    names = [tuple(f.name for f in fields) for fields in unique_sets(m.Membership)]
    assert ("project", "person") in names
    assert [tuple(f.name for f in fields) for fields in unique_sets(m.Profile)] == [("person",)]


def test_thousands_of_composite_values_are_looked_up_in_one_go(world: World) -> None:
    membership = m.Membership.objects.first()
    assert membership is not None
    taken = (membership.project_id, membership.person_id)
    # Far more tuples than SQLite lets an OR of ANDs hold.
    values = {(project, person): "archive key" for project in range(50) for person in range(60)}
    values[taken] = "the colliding row"
    (fields,) = [f for f in unique_sets(m.Membership) if len(f) == 2]
    found = _existing(m.Membership.objects, fields, values, "default")
    assert (taken, membership.pk) in found
    assert all(values[value] for value, _ in found)


def _conflicts_of_a_copy(policy: Policy | None = None) -> list[tuple[Any, ...]]:
    """The conflicts an import of every person's tree into its own database reports."""
    data = io.BytesIO()
    export(m.Person.objects.all(), data)
    before = every_table("default")
    with pytest.raises(ConflictError) as refused:
        import_archive(io.BytesIO(data.getvalue()), pks="remap", policy=policy)
    assert every_table("default") == before
    return sorted(
        (c.label, repr(c.pk), c.field, repr(c.value), repr(c.existing))
        for c in refused.value.conflicts
    )


def test_values_looked_up_a_batch_at_a_time_find_every_conflict(world: World) -> None:
    at_once = _conflicts_of_a_copy()
    # Every username is taken (by the very rows exported).
    assert len(at_once) == m.Person.objects.count() > 2
    with override_settings(GRAFT={"BATCH_SIZE": 1}):
        assert _conflicts_of_a_copy() == at_once


def test_every_row_giving_a_taken_value_is_named_whatever_the_batches(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = m.Person.objects.order_by("pk").first()
    assert taken is not None
    # Every copy is given one username, which a person holds already.
    same = Policy(set_fields={"testapp.Person.username": taken.username})
    at_once = _conflicts_of_a_copy(same)
    named = [c for c in at_once if c[0] == "testapp.person" and c[2] == "username"]
    assert len(named) == m.Person.objects.count() > 2
    monkeypatch.setattr(unique, "CHUNK", 1)
    with override_settings(GRAFT={"BATCH_SIZE": 1}):
        assert _conflicts_of_a_copy(same) == at_once
