"""Needed rows that are parts of objects, keyed or matched by links, in a target with rows.

Each case is one way a match or a key can go wrong: a part grafted onto
another tenant's object, a link compared by its archive key instead of its
image, a key two rows would take, a conflict that --on-conflict cannot
settle.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Model

from django_graft import clone, import_archive
from django_graft.exceptions import ConflictError, GraftError, ImportRefused
from django_graft.policy import Policy
from tests.importer.test_import_options import every_table
from tests.importer.test_needed_rows import archive_of as exported
from tests.importer.test_needed_rows import entry_needing
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db(databases=["default", "other"])
OTHER = "other"


def archive_of(root: Model) -> io.BytesIO:
    return io.BytesIO(exported(root))


@pytest.mark.parametrize("on_conflict", ["skip", "update"])
def test_remap_on_conflict_applies_to_a_taken_kept_key(world: World, on_conflict: str) -> None:
    m.Country.objects.using(OTHER).create(code="fr", name="Frankreich")
    import_archive(archive_of(world.extra["fr"]), using=OTHER, pks="remap", on_conflict=on_conflict)
    expected = "Frankreich" if on_conflict == "skip" else "France"
    assert m.Country.objects.using(OTHER).get(pk="fr").name == expected


def test_keep_update_overwrites_every_part_of_an_inherited_object(world: World) -> None:
    colour = m.Colour.objects.create(name="grey")
    car = m.Car.objects.create(name="coupe", doors=2)
    entry = entry_needing(colour, car=car)
    m.Colour.objects.using(OTHER).create(pk=colour.pk, name="grey")
    m.Car.objects.using(OTHER).create(vehicle_ptr_id=car.pk, name="coupe", doors=5)
    import_archive(archive_of(entry), using=OTHER, on_conflict="update")
    assert m.Car.objects.using(OTHER).get(pk=car.pk).doors == 2


def test_keep_update_overwrites_a_row_keyed_by_a_one_to_one(world: World) -> None:
    colour = m.Colour.objects.create(name="grey")
    car = m.Car.objects.create(name="coupe", doors=2)
    registration = m.Registration.objects.create(car=car, plate="XY-1")
    entry = entry_needing(colour, registration=registration)
    m.Colour.objects.using(OTHER).create(pk=colour.pk, name="grey")
    m.Car.objects.using(OTHER).create(vehicle_ptr_id=car.pk, name="coupe", doors=2)
    m.Registration.objects.using(OTHER).create(car_id=car.pk, plate="OLD")
    import_archive(archive_of(entry), using=OTHER, on_conflict="update")
    assert m.Registration.objects.using(OTHER).get(pk=car.pk).plate == "XY-1"


def test_keep_skip_grafts_no_part_onto_another_tenants_object(world: World) -> None:
    colour = m.Colour.objects.create(name="grey")
    car = m.Car.objects.create(name="coupe", doors=2)
    entry = entry_needing(colour, car=car)
    m.Colour.objects.using(OTHER).create(pk=colour.pk, name="grey")
    m.Vehicle.objects.using(OTHER).create(pk=car.pk, name="bike")  # another tenant's bike
    before = every_table(OTHER)
    with pytest.raises(ConflictError) as info:
        import_archive(archive_of(entry), using=OTHER, on_conflict="skip")
    assert [str(c) for c in info.value.conflicts] == [
        f"testapp.car {car.pk}: its testapp.vehicle part collides, so it cannot be added"
    ]
    assert every_table(OTHER) == before  # their bike did not become a car


def test_match_fields_on_a_link_compare_the_image(world: World) -> None:
    red = m.Colour.objects.create(name="red")
    crimson = m.Colour.objects.create(name="crimson", base=red)
    entry = entry_needing(crimson)
    scarlet = m.Colour.objects.using(OTHER).create(pk=red.pk, name="scarlet")
    m.Colour.objects.using(OTHER).create(name="crimson", base=scarlet)  # their crimson
    result = import_archive(
        archive_of(entry), using=OTHER, pks="remap", match={"testapp.Colour": ["name", "base"]}
    )
    keys = result.key_map["testapp.colour"]
    assert m.Colour.objects.using(OTHER).get(pk=keys[crimson.pk]).base_id == keys[red.pk]


def test_match_fields_do_not_take_a_pending_link_for_null(world: World) -> None:
    red = m.Colour.objects.create(name="red")
    maker = m.Maker.objects.create(code="nova", colour=red)
    entry = entry_needing(red, maker=maker)
    m.Colour.objects.using(OTHER).create(pk=red.pk, name="scarlet")  # red is created anew
    bare = m.Maker.objects.using(OTHER).create(code="nova")  # colour NULL
    try:
        result = import_archive(
            archive_of(entry), using=OTHER, pks="remap", match={"testapp.Maker": ["code", "colour"]}
        )
    except ConflictError:
        return
    assert result.key_map["testapp.maker"][maker.pk] != bare.pk


def test_remap_skip_of_a_one_to_one_keyed_row_links_to_the_kept_row(world: World) -> None:
    colour = m.Colour.objects.create(name="grey")
    car = m.Car.objects.create(name="coupe", doors=2)
    registration = m.Registration.objects.create(car=car, plate="XY-1")
    entry = entry_needing(colour, registration=registration, car=car)
    cars = m.Car.objects.using(OTHER)
    while cars.count() <= car.pk:
        cars.create(name="filler")
    m.Registration.objects.using(OTHER).create(car_id=car.pk, plate="TENANT")  # at archive key
    matched = cars.create(name="coupe-x", doors=2)
    m.Registration.objects.using(OTHER).create(car=matched, plate="MATCHED")
    result = import_archive(
        archive_of(entry), using=OTHER, pks="remap", on_conflict="skip",
        match={"testapp.Vehicle": ["name"], "testapp.Car": ["doors"]},
    )  # fmt: skip
    made = m.Entry.objects.using(OTHER).get(pk=result.key_map["testapp.entry"][entry.pk])
    assert made.registration.plate != "TENANT"


def test_two_registrations_given_one_key_are_a_conflict(world: World) -> None:
    colour = m.Colour.objects.create(name="grey")
    catalogue = m.Catalogue.objects.create(name="solo")
    for i in range(2):
        car = m.Car.objects.create(name="coupe", doors=2)
        reg = m.Registration.objects.create(car=car, plate=f"XY-{i}")
        m.Entry.objects.create(catalogue=catalogue, number=i + 1, colour=colour, registration=reg)
    m.Car.objects.using(OTHER).create(name="coupe", doors=2)
    with pytest.raises(ConflictError):
        import_archive(
            archive_of(catalogue), using=OTHER, pks="remap", match={"testapp.Vehicle": ["name"]}
        )


def test_a_registration_matched_by_fields_does_not_drag_its_car_along(world: World) -> None:
    colour = m.Colour.objects.create(name="grey")
    car = m.Car.objects.create(name="coupe", doors=2)
    registration = m.Registration.objects.create(car=car, plate="XY-1")
    entry = entry_needing(colour, car=car, registration=registration)
    van = m.Car.objects.using(OTHER).create(name="van", doors=5)
    m.Registration.objects.using(OTHER).create(car=van, plate="XY-1")
    try:
        result = import_archive(
            archive_of(entry), using=OTHER, pks="remap", match={"testapp.Registration": ["plate"]}
        )
    except ConflictError:
        return
    made = m.Entry.objects.using(OTHER).get(pk=result.key_map["testapp.entry"][entry.pk])
    assert made.car.name == "coupe"  # observed: 'van', another tenant's car


def test_a_plain_vehicle_is_not_another_tenants_car(world: World) -> None:
    bike = m.Vehicle.objects.create(name="bike")
    comment = m.Comment.objects.create(target=bike, text="hello")
    m.Car.objects.using(OTHER).create(vehicle_ptr_id=bike.pk, name="bike", doors=3)
    result = import_archive(archive_of(comment), using=OTHER, pks="remap")
    made = m.Comment.objects.using(OTHER).get(pk=result.key_map["testapp.comment"][comment.pk])
    assert not m.Car.objects.using(OTHER).filter(pk=made.object_id).exists()


def test_parts_matched_apart_follow_the_part_the_key_comes_from(world: World) -> None:
    # The vehicle part matches a plain vehicle by name, the car part another car by
    # doors: the car's key is its vehicle's, so the matched vehicle gets a car part.
    colour = m.Colour.objects.create(name="grey")
    car = m.Car.objects.create(name="coupe", doors=2)
    entry = entry_needing(colour, car=car)
    plain = m.Vehicle.objects.using(OTHER).create(name="coupe")
    theirs = m.Car.objects.using(OTHER).create(name="theirs", doors=2)
    result = import_archive(
        archive_of(entry), using=OTHER, pks="remap",
        match={"testapp.Vehicle": ["name"], "testapp.Car": ["doors"]},
    )  # fmt: skip
    made = m.Entry.objects.using(OTHER).get(pk=result.key_map["testapp.entry"][entry.pk])
    assert made.car_id == plain.pk == result.key_map["testapp.car"][car.pk]
    assert m.Car.objects.using(OTHER).get(pk=plain.pk).doors == 2
    assert m.Car.objects.using(OTHER).get(pk=theirs.pk).name == "theirs"


def test_match_on_an_inherited_field_is_a_named_error(world: World) -> None:
    car = m.Car.objects.create(name="coupe", doors=2)
    entry = entry_needing(m.Colour.objects.create(name="grey"), car=car)
    with pytest.raises(GraftError):
        import_archive(archive_of(entry), using=OTHER, pks="remap", match={"testapp.Car": ["name"]})


def test_stand_ins_never_take_a_unique_value(world: World) -> None:
    # Hen and nest: a cycle with no nullable column whose links are in unique
    # sets. A stand-in (the original's nest) would repeat the original hen's pair.
    with transaction.atomic(), connection.constraint_checks_disabled():
        m.Hen.objects.bulk_create([m.Hen(pk=1, nest_id=1, name="hen")])
        m.Nest.objects.bulk_create([m.Nest(pk=1, hen_id=1, label="straw")])
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [m.Hen, m.Nest]):
                cursor.execute(sql)
    before = every_table("default")
    with pytest.raises(ImportRefused, match=r"testapp\.hen\.nest -> testapp\.nest"):
        clone(m.Hen.objects.get(pk=1))
    assert every_table("default") == before


def test_an_object_with_two_parents_is_created_whole(world: World) -> None:
    hybrid = m.Hybrid.objects.create(power=100, shape="round", seats=2)
    garage = m.Garage.objects.create(hybrid=hybrid, name="mine")
    m.Hybrid.objects.using(OTHER).create(  # parts identical, the child differs
        engine_id=hybrid.engine_id, body_id=hybrid.body_id, power=100, shape="round", seats=7
    )
    result = import_archive(archive_of(garage), using=OTHER, pks="remap")
    made = m.Garage.objects.using(OTHER).get(pk=result.key_map["testapp.garage"][garage.pk])
    assert made.hybrid.seats == 2


def test_an_import_follows_renamed_codes_within_one_model(world: World) -> None:
    top = m.Label.objects.create(code="root")
    m.Label.objects.create(code="twig", parent=top)
    m.Label.objects.using(OTHER).create(code="root")  # another tenant's label

    def rename(rows: list[dict[str, Any]]) -> None:
        for row in rows:
            row["code"] += "-copy"

    policy = Policy(hooks={"testapp.Label": {"pre_save": rename}})
    import_archive(archive_of(top), using=OTHER, pks="remap", policy=policy)
    assert m.Label.objects.using(OTHER).get(code="twig-copy").parent_id == "root-copy"
