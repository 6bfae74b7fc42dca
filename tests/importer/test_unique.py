from __future__ import annotations

import pytest

from django_graft.importer.unique import _existing, unique_sets
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
