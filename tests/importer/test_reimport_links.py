"""Rows judged unchanged only by the values the import would write.

A generic link is compared by the key its target has in this database; an
unchanged parent row is not a lost one; a dry run counts the unchanged rows
as the import does.
"""

from __future__ import annotations

import io
from typing import Any

import pytest

from django_graft import import_archive
from django_graft.exceptions import ConflictError
from tests.importer.tables import archive_of as archive
from tests.snapshots import every_table
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db(databases=["default", "other"])

OTHER = "other"


# -- generic foreign keys: the object id is compared unmapped -------------------


def bookmark_to_a_tag_elsewhere(world: World) -> tuple[bytes, m.Bookmark, m.Tag, m.Tag]:
    """A person's bookmark of tag 'red', whose key is another in 'other'."""
    red = world.tags[0]
    zed = m.Person.objects.create(username="zed")
    bookmark = m.Bookmark.objects.create(owner=zed, target=red)
    data = archive(zed)
    gold = m.Tag.objects.using(OTHER).create(pk=red.pk, name="gold")  # at red's key there
    red_there = m.Tag.objects.using(OTHER).create(pk=red.pk + 1000, name="red")
    import_archive(io.BytesIO(data), using=OTHER)
    assert m.Bookmark.objects.using(OTHER).get(pk=bookmark.pk).object_id == red_there.pk
    return data, bookmark, gold, red_there


def test_a_generic_link_to_a_row_matched_elsewhere_is_unchanged(world: World) -> None:
    data, _, _, _ = bookmark_to_a_tag_elsewhere(world)
    again = import_archive(io.BytesIO(data), using=OTHER)
    assert again.conflicts == []
    assert again.models["testapp.bookmark"].unchanged == 1


def test_a_generic_link_to_another_row_is_a_conflict(world: World) -> None:
    """Data loss: the stored bookmark points at 'gold', the archive's at 'red'."""
    data, bookmark, gold, _ = bookmark_to_a_tag_elsewhere(world)
    m.Bookmark.objects.using(OTHER).filter(pk=bookmark.pk).update(object_id=gold.pk)
    with pytest.raises(ConflictError) as info:
        import_archive(io.BytesIO(data), using=OTHER)
    assert [str(c) for c in info.value.conflicts] == [
        f"testapp.bookmark {bookmark.pk}: the row with this key differs in object_id"
    ]


# -- an unchanged parent is not a lost one --------------------------------------


@pytest.mark.parametrize("on_conflict", ["fail", "skip"])
def test_a_child_part_joins_its_unchanged_parent(world: World, on_conflict: str) -> None:
    restaurant = m.Restaurant.objects.filter(italianrestaurant=None).first()
    assert restaurant is not None
    data = archive(restaurant)
    import_archive(io.BytesIO(data), using=OTHER)
    m.Restaurant.objects.using(OTHER).filter(pk=restaurant.pk)._raw_delete(OTHER)
    result = import_archive(io.BytesIO(data), using=OTHER, on_conflict=on_conflict)
    assert result.models["testapp.place"].unchanged == 1
    assert result.models["testapp.restaurant"].created == 1


# -- a dry run says what the run would ----------------------------------------------


def test_a_dry_run_counts_the_unchanged_rows(world: World) -> None:
    data = archive(world.org)
    import_archive(io.BytesIO(data), using=OTHER)
    before = every_table(OTHER)
    dry = import_archive(io.BytesIO(data), using=OTHER, dry_run=True)
    real = import_archive(io.BytesIO(data), using=OTHER)
    assert every_table(OTHER) == before
    unchanged: Any = {label: r.unchanged for label, r in real.models.items()}
    assert {label: r.unchanged for label, r in dry.models.items()} == unchanged
