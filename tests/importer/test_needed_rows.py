"""Needed rows in a database that already has rows at their keys: reused only when matched."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Model

from django_graft import export, import_archive
from django_graft.exceptions import ConflictError
from tests.queries import count_queries
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db(databases=["default", "other"])


def archive_of(root: Model) -> bytes:
    buffer = io.BytesIO()
    export(root, buffer)
    return buffer.getvalue()


def entry_needing(colour: m.Colour, **needs: Any) -> m.Entry:
    catalogue = m.Catalogue.objects.create(name="solo")
    entry: m.Entry = m.Entry.objects.create(catalogue=catalogue, number=1, colour=colour, **needs)
    return entry


def at_same_key(model: type[Model], source: Model, **values: Any) -> Any:
    """A row in 'other' at ``source``'s key, with ``values`` over its own."""
    fields = {f.attname: getattr(source, f.attname) for f in model._meta.local_concrete_fields}
    fields.update(values)
    return model._base_manager.db_manager("other").create(**fields)


def test_a_different_row_at_the_key_is_left_alone_and_the_row_created_anew(
    world: World,
) -> None:
    blue = m.Colour.objects.create(name="blue")
    entry = entry_needing(blue)
    at_same_key(m.Colour, blue, name="ultramarine")
    result = import_archive(io.BytesIO(archive_of(entry)), using="other", pks="remap")
    image = result.key_map["testapp.colour"][blue.pk]
    assert image != blue.pk
    assert m.Colour.objects.using("other").get(pk=blue.pk).name == "ultramarine"
    assert m.Colour.objects.using("other").get(pk=image).name == "blue"
    report = result.models["testapp.colour"]
    assert (report.created, report.matched, report.created_needed) == (1, 0, 1)
    assert result.warnings == [
        "testapp.colour: 1 needed row(s) differ from the row at their key in database "
        "'other' and are created anew; testapp.colour has no natural key and no match fields "
        "to find an existing row by. To reuse existing rows, match them: --match "
        "testapp.Colour:FIELD[,FIELD...] (or the policy's match)."
    ]
    assert result.table().endswith(
        "Created needed rows no existing row matched: testapp.catalogue 1, testapp.colour 1."
    )


def test_keep_mode_calls_a_different_row_at_the_key_a_conflict(world: World) -> None:
    blue = m.Colour.objects.create(name="blue")
    entry = entry_needing(blue)
    at_same_key(m.Colour, blue, name="ultramarine")
    with pytest.raises(ConflictError, match=rf"testapp\.colour {blue.pk}: a row with this key"):
        import_archive(io.BytesIO(archive_of(entry)), using="other")


def test_an_identical_row_at_the_key_is_reused(world: World) -> None:
    blue = m.Colour.objects.create(name="blue")
    entry = entry_needing(blue)
    at_same_key(m.Colour, blue)
    result = import_archive(io.BytesIO(archive_of(entry)), using="other", pks="remap")
    assert result.key_map["testapp.colour"][blue.pk] == blue.pk
    assert result.models["testapp.colour"].matched == 1
    assert not result.warnings


def test_identical_means_its_links_too(world: World) -> None:
    # The same name at the same key, but its base colour differs there: not the same colour.
    red = m.Colour.objects.create(name="red")
    crimson = m.Colour.objects.create(name="crimson", base=red)
    entry = entry_needing(crimson)
    other_red = at_same_key(m.Colour, red, name="scarlet")
    at_same_key(m.Colour, crimson, base_id=other_red.pk)
    result = import_archive(io.BytesIO(archive_of(entry)), using="other", pks="remap")
    new_red = result.key_map["testapp.colour"][red.pk]
    new_crimson = m.Colour.objects.using("other").get(
        pk=result.key_map["testapp.colour"][crimson.pk]
    )
    assert new_crimson.pk != crimson.pk
    assert (new_crimson.name, new_crimson.base_id) == ("crimson", new_red)


def test_match_fields_reuse_a_row_wherever_it_is(world: World) -> None:
    blue = m.Colour.objects.create(name="blue")
    entry = entry_needing(blue)
    at_same_key(m.Colour, blue, name="ultramarine")
    elsewhere = m.Colour.objects.using("other").create(name="blue")
    result = import_archive(
        io.BytesIO(archive_of(entry)),
        using="other",
        pks="remap",
        match={"testapp.Colour": ["name"]},
    )
    assert result.key_map["testapp.colour"][blue.pk] == elsewhere.pk
    entry_image = m.Entry.objects.using("other").get(pk=result.key_map["testapp.entry"][entry.pk])
    assert entry_image.colour_id == elsewhere.pk


def test_a_matched_row_is_linked_to_and_its_own_links_stay(world: World) -> None:
    # The maker is found by natural key; the entry points at the existing maker.
    colour = m.Colour.objects.create(name="green")
    maker = m.Maker.objects.create(code="solo", colour=colour)
    entry = entry_needing(colour, maker=maker)
    existing = m.Maker.objects.using("other").create(code="solo")
    result = import_archive(io.BytesIO(archive_of(entry)), using="other", pks="remap")
    image = m.Entry.objects.using("other").get(pk=result.key_map["testapp.entry"][entry.pk])
    assert image.maker_id == existing.pk
    assert m.Maker.objects.using("other").get(pk=existing.pk).colour_id is None


def test_an_inherited_object_is_matched_whole_or_created_whole(world: World) -> None:
    # The vehicle part is identical at its key, the car part is not: a new car, whole.
    colour = m.Colour.objects.create(name="grey")
    car = m.Car.objects.create(name="coupe", doors=2)
    entry = entry_needing(colour, car=car)
    vehicle = m.Vehicle.objects.get(pk=car.pk)
    at_same_key(m.Vehicle, vehicle)
    m.Car.objects.using("other").create(vehicle_ptr_id=car.pk, name="coupe", doors=5)
    m.Vehicle.objects.using("other").filter(pk=car.pk).update(name="coupe")
    result = import_archive(io.BytesIO(archive_of(entry)), using="other", pks="remap")
    new = result.key_map["testapp.car"][car.pk]
    assert new != car.pk and result.key_map["testapp.vehicle"][car.pk] == new
    made = m.Car.objects.using("other").get(pk=new)
    assert (made.name, made.doors) == ("coupe", 2)
    assert m.Car.objects.using("other").get(pk=car.pk).doors == 5


def test_an_identical_inherited_object_is_reused(world: World) -> None:
    colour = m.Colour.objects.create(name="grey")
    car = m.Car.objects.create(name="coupe", doors=2)
    entry = entry_needing(colour, car=car)
    m.Car.objects.using("other").create(vehicle_ptr_id=car.pk, name="coupe", doors=2)
    result = import_archive(io.BytesIO(archive_of(entry)), using="other", pks="remap")
    assert result.key_map["testapp.car"][car.pk] == car.pk
    assert result.key_map["testapp.vehicle"][car.pk] == car.pk


def test_a_row_keyed_by_a_one_to_one_takes_its_targets_key(world: World) -> None:
    # The car is new in the target, so its registration is created with it.
    colour = m.Colour.objects.create(name="grey")
    car = m.Car.objects.create(name="coupe", doors=2)
    registration = m.Registration.objects.create(car=car, plate="XY-1")
    entry = entry_needing(colour, registration=registration)
    m.Car.objects.using("other").create(vehicle_ptr_id=car.pk, name="another", doors=4)
    result = import_archive(io.BytesIO(archive_of(entry)), using="other", pks="remap")
    new_car = result.key_map["testapp.car"][car.pk]
    assert result.key_map["testapp.registration"][car.pk] == new_car
    assert m.Registration.objects.using("other").get(pk=new_car).plate == "XY-1"


def catalogue_of(size: int) -> m.Catalogue:
    """A catalogue whose entries need ``size`` colours, makers, cars and registrations."""
    catalogue: m.Catalogue = m.Catalogue.objects.create(name=f"of {size}")
    for n in range(size):
        colour = m.Colour.objects.create(name=f"c{n}")
        shade = m.Colour.objects.create(name=f"s{n}", base=colour)
        maker = m.Maker.objects.create(code=f"{size}-{n}", colour=shade)
        car = m.Car.objects.create(name=f"car{n}", maker=maker)
        registration = m.Registration.objects.create(car=car, plate=f"P{n}")
        m.Entry.objects.create(
            catalogue=catalogue, number=n, colour=shade, maker=maker, registration=registration
        )
        # The target holds a row at each of their keys: the same, or another.
        for row in (colour, shade, car):
            model = type(row)
            at_same_key(model, row, name=row.name if n % 2 else f"other {row.name}")
    return catalogue


def imported_queries(root: Model) -> int:
    data = archive_of(root)
    with transaction.atomic(using="other"):
        queries = count_queries(
            lambda: import_archive(io.BytesIO(data), using="other", pks="remap"), using="other"
        )
        transaction.set_rollback(True, using="other")
    return queries


def test_matching_needed_rows_costs_no_query_per_row(world: World) -> None:
    assert imported_queries(catalogue_of(2)) == imported_queries(catalogue_of(40))


@pytest.mark.parametrize("same", [True, False], ids=["identical", "differing"])
def test_a_diamond_is_matched_whole_key_only_part_included(world: World, same: bool) -> None:
    # Ancestor has nothing but its key: it is matched with the object it is part of.
    bottom = world.extra["bottom"]
    bookmark = m.Bookmark.objects.create(owner=world.people[0], target=bottom)
    m.Bottom.objects.using("other").create(
        pk=bottom.pk, left_value=1, right_value=2, bottom_value=3 if same else 4
    )
    result = import_archive(io.BytesIO(archive_of(bookmark)), using="other", pks="remap")
    images = {
        label: result.key_map[f"testapp.{label}"][bottom.pk]
        for label in ("ancestor", "left", "right", "bottom")
    }
    if same:
        assert set(images.values()) == {bottom.pk}
    else:
        assert len(set(images.values())) == 1 and bottom.pk not in images.values()
        assert m.Bottom.objects.using("other").get(pk=images["bottom"]).bottom_value == 3
