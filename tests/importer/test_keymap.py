"""The key map an import returns, and a clone's copies: read-only views, right for every row.

The oracle is plain SQL: a person is the same person in both databases when
its username is, an organisation when its name is.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.db import connections

from django_graft import clone, import_archive
from tests.importer.tables import archive_of, archived_keys
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db(databases=["default", "other"], transaction=False)


def keys_by(model: type[Any], column: str, using: str) -> dict[Any, Any]:
    """{value of ``column``: key} of every row of ``model``'s table, by plain SQL."""
    table = connections[using].ops.quote_name(model._meta.db_table)
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT {column}, id FROM {table}")
        return dict(cursor.fetchall())


def expected_map(model: type[Any], column: str, keys: set[Any], using: str) -> dict[Any, Any]:
    """{key here: key in ``using``} of the rows ``keys`` names, matched by ``column``."""
    here = {key: value for value, key in keys_by(model, column, "default").items()}
    there = keys_by(model, column, using)
    return {key: there[here[key]] for key in keys}


def test_a_remap_import_maps_every_row_it_created_or_matched(world: World) -> None:
    matched = m.Person.objects.using("other").create(username=world.people[0].username)
    data = archive_of(world.org)
    archived = archived_keys(data)
    result = import_archive(io.BytesIO(data), using="other", pks="remap")
    people = result.key_map["testapp.person"]
    expected = expected_map(m.Person, "username", archived[m.Person], "other")
    assert dict(people) == expected
    assert people[world.people[0].pk] == matched.pk
    assert len(people) == len(expected) == len(list(people))
    assert all(key in people for key in expected)
    organisations = result.key_map["testapp.organisation"]
    assert dict(organisations) == expected_map(
        m.Organisation, "name", archived[m.Organisation], "other"
    )


def test_the_key_map_is_read_only_and_knows_only_the_archive_s_rows(world: World) -> None:
    data = archive_of(world.org)
    result = import_archive(io.BytesIO(data), using="other", pks="remap")
    people = result.key_map["testapp.person"]
    absent = max(archived_keys(data)[m.Person]) + 1000
    assert absent not in people
    with pytest.raises(KeyError):
        people[absent]
    with pytest.raises(TypeError):
        people[absent] = 1  # type: ignore[index]
    assert eval(repr(people)) == dict(people)


@pytest.mark.parametrize("on_conflict", ["skip", "update"])
def test_rows_left_or_overwritten_map_to_the_existing_rows(world: World, on_conflict: str) -> None:
    data = archive_of(world.org)
    m.Organisation.objects.filter(pk=world.org.pk).update(name="changed")
    result = import_archive(io.BytesIO(data), on_conflict=on_conflict)
    archived = archived_keys(data)
    for model, label in ((m.Organisation, "testapp.organisation"), (m.Person, "testapp.person")):
        assert dict(result.key_map[label]) == {key: key for key in archived[model]}


def test_a_clone_s_copies_are_its_owned_rows_only(world: World) -> None:
    names = {"testapp.Organisation.name": lambda row: row["name"] + " (copy)"}
    result = clone(world.org, set_fields=names)
    copies = result.copies["testapp.organisation"]
    by_name = keys_by(m.Organisation, "name", "default")
    assert dict(copies) == {world.org.pk: by_name[world.org.name + " (copy)"]}
    assert "testapp.person" not in result.copies  # needed rows are pointed at, not copied
    projects = result.copies["testapp.project"]
    owned = set(m.Project.objects.filter(organisation=world.org).values_list("pk", flat=True))
    assert set(projects) == owned and len(projects) == len(owned)
    copied = set(
        m.Project.objects.filter(organisation=result.roots[0]).values_list("pk", flat=True)
    )
    assert set(projects.values()) == copied
    with pytest.raises(KeyError):
        projects[max(copied) + 1000]
