"""Needed rows that are parts of objects, keyed or matched by links, in a target with rows.

Each case is one way a match or a key can go wrong: a part grafted onto
another tenant's object, a link compared by its archive key instead of its
image, a key two rows would take, a conflict that --on-conflict cannot
settle.
"""

from __future__ import annotations

import io
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.core import serializers
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Model

from django_graft import clone, import_archive
from django_graft.exceptions import ConflictError, GraftError, ImportRefused, PolicyError
from django_graft.policy.rules import Policy
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
    assert made.car.name == "coupe"


def test_a_plain_vehicle_is_not_another_tenants_car(world: World) -> None:
    bike = m.Vehicle.objects.create(name="bike")
    comment = m.Comment.objects.create(target=bike, text="hello")
    m.Car.objects.using(OTHER).create(vehicle_ptr_id=bike.pk, name="bike", doors=3)
    result = import_archive(archive_of(comment), using=OTHER, pks="remap")
    made = m.Comment.objects.using(OTHER).get(pk=result.key_map["testapp.comment"][comment.pk])
    assert not m.Car.objects.using(OTHER).filter(pk=made.object_id).exists()


def test_parts_matched_apart_make_a_new_object(world: World) -> None:
    # The vehicle part matches a plain vehicle by name, the car part another car by
    # doors: no one object is both, so the car is created whole, touching neither.
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
    assert made.car_id == result.key_map["testapp.car"][car.pk] not in (plain.pk, theirs.pk)
    assert not m.Car.objects.using(OTHER).filter(pk=plain.pk).exists()
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


@contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    def fail(*_: Any) -> None:
        raise TimeoutError(f"still running after {seconds}s")

    old = signal.signal(signal.SIGALRM, fail)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def suffix(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        row["code"] += "-x"


def test_settle_ends_for_a_hybrid_whose_parents_match_apart(world: World) -> None:
    hybrid = m.Hybrid.objects.create(power=100, shape="round", seats=2)
    garage = m.Garage.objects.create(hybrid=hybrid, name="mine")
    m.Hybrid.objects.using(OTHER).create(power=7, shape="square", seats=2)  # matched by seats
    m.Body.objects.using(OTHER).create(shape="round")  # a plain body, matched by shape
    match = {"testapp.Hybrid": ["seats"], "testapp.Body": ["shape"]}
    with time_limit(10):
        import_archive(archive_of(garage), using=OTHER, pks="remap", match=match, dry_run=True)


def test_settle_ends_for_three_levels_matched_apart(world: World) -> None:
    owner = m.Person.objects.create(username="owner")
    chef = world.people[1]
    italian = m.ItalianRestaurant.objects.create(organisation=world.org, name="Roma", chef=chef)
    m.Bookmark.objects.create(owner=owner, target=italian)
    org = m.Organisation.objects.using(OTHER).create(name="theirs")
    their_chef = m.Person.objects.using(OTHER).create(username=chef.username)
    m.Place.objects.using(OTHER).create(organisation=org, name="Roma")  # the Place part's match
    m.ItalianRestaurant.objects.using(OTHER).create(
        organisation=org, name="Milano", chef=their_chef
    )
    match = {"testapp.Place": ["name"], "testapp.ItalianRestaurant": ["chef"]}
    with time_limit(10):
        import_archive(archive_of(owner), using=OTHER, pks="remap", match=match, dry_run=True)


@pytest.mark.parametrize("theirs", ["plain body", "body of their hybrid"])
def test_keep_skip_refuses_a_hybrid_whose_body_part_collides(world: World, theirs: str) -> None:
    hybrid = m.Hybrid.objects.create(power=100, shape="round", seats=2)
    engines = m.Engine.objects.using(OTHER)
    while engines.count() < hybrid.engine_id + 3:
        engines.create(power=1)
    engines.filter(pk=hybrid.engine_id).delete()  # its engine key is free, its body key taken
    if theirs == "plain body":
        m.Body.objects.using(OTHER).create(body_id=hybrid.body_id, shape="square")
    else:
        m.Hybrid.objects.using(OTHER).create(
            engine_id=hybrid.engine_id + 1, body_id=hybrid.body_id, shape="square"
        )
    before = every_table(OTHER)
    with pytest.raises(ConflictError):
        import_archive(archive_of(hybrid), using=OTHER, on_conflict="skip")
    assert every_table(OTHER) == before


def test_a_plain_body_is_not_part_of_their_hybrid(world: World) -> None:
    owner = m.Person.objects.create(username="owner")
    hybrid = m.Hybrid.objects.create(power=1, shape="round", seats=2)
    body = m.Body.objects.create(shape="square")
    m.Bookmark.objects.create(owner=owner, target=hybrid)  # a Hybrid in the archive...
    m.Bookmark.objects.create(owner=owner, target=body)  # ...and a plain Body
    engine = m.Engine.objects.using(OTHER).create(power=7)
    m.Hybrid.objects.using(OTHER).create(engine_ptr=engine, body_id=body.pk, shape="square")
    result = import_archive(archive_of(owner), using=OTHER, pks="remap")
    image = result.key_map["testapp.body"][body.pk]
    assert not m.Hybrid.objects.using(OTHER).filter(body_id=image).exists()


@pytest.mark.parametrize("theirs_too", [False, True])
def test_to_field_links_follow_a_renamed_row_skipped(world: World, theirs_too: bool) -> None:
    catalogue = m.Catalogue.objects.create(name="mine")
    section = m.Section.objects.create(catalogue=catalogue, code="front")
    entry = m.Entry.objects.create(
        catalogue=catalogue, number=1, colour=m.Colour.objects.create(name="c")
    )
    m.Placement.objects.create(section=section, entry=entry)
    theirs = m.Catalogue.objects.using(OTHER).create(name="theirs")
    kept = m.Section.objects.using(OTHER).create(catalogue=theirs, code="front-x")
    if theirs_too:  # another tenant's section holds the archive's own code
        m.Section.objects.using(OTHER).create(catalogue=theirs, code="front")
    policy = Policy(hooks={"testapp.Section": {"pre_save": suffix}})
    options: dict[str, Any] = {"using": OTHER, "pks": "remap", "on_conflict": "skip"}
    import_archive(archive_of(section), dry_run=True, policy=policy, **options)  # passes
    result = import_archive(archive_of(section), policy=policy, **options)
    assert result.key_map["testapp.section"][section.pk] == kept.pk
    made = m.Placement.objects.using(OTHER).get(entry_id=result.key_map["testapp.entry"][entry.pk])
    assert made.section_id == "front-x"


def test_to_field_link_to_a_needed_row_matched_by_fields(world: World) -> None:
    catalogue = m.Catalogue.objects.create(name="mine")
    section = m.Section.objects.create(catalogue=catalogue, code="front")
    entry = m.Entry.objects.create(
        catalogue=catalogue, number=1, colour=m.Colour.objects.create(name="c")
    )
    placement = m.Placement.objects.create(section=section, entry=entry)
    theirs = m.Catalogue.objects.using(OTHER).create(name="mine")
    found = m.Section.objects.using(OTHER).create(catalogue=theirs, code="their-front")
    match = {"testapp.Catalogue": ["name"], "testapp.Section": ["catalogue"]}
    result = import_archive(archive_of(placement), using=OTHER, pks="remap", match=match)
    assert result.key_map["testapp.section"][section.pk] == found.pk
    made = m.Placement.objects.using(OTHER).get(
        pk=result.key_map["testapp.placement"][placement.pk]
    )
    assert made.section_id == "their-front"


def test_key_by_to_field_of_a_maker_matched_by_fields(world: World) -> None:
    colour = m.Colour.objects.create(name="teal")
    maker = m.Maker.objects.create(code="nova", colour=colour)
    licence = m.Licence.objects.create(maker=maker, number="L-mine")
    for obj in serializers.deserialize("python", serializers.serialize("python", [colour])):
        obj.save(using=OTHER)  # the same colour at its key
    theirs = m.Maker.objects.using(OTHER).create(code="their-nova", colour_id=colour.pk)
    match = {"testapp.Maker": ["colour"]}
    result = import_archive(archive_of(licence), using=OTHER, pks="remap", match=match)
    assert result.key_map["testapp.maker"][maker.pk] == theirs.pk
    assert m.Licence.objects.using(OTHER).get(number="L-mine").maker_id == "their-nova"


@pytest.mark.parametrize("on_conflict", ["fail", "skip", "update"])
def test_licence_of_a_matched_maker_with_codes_renamed(world: World, on_conflict: str) -> None:
    maker = m.Maker.objects.create(code="nova")
    licence = m.Licence.objects.create(maker=maker, number="L-mine")
    theirs = m.Maker.objects.using(OTHER).create(code="nova")  # matched by natural key
    m.Licence.objects.using(OTHER).create(maker=theirs, number="L-theirs")
    policy = Policy(set_fields={"testapp.Maker.code": lambda row: row["code"] + "-x"})
    options: dict[str, Any] = {"using": OTHER, "pks": "remap", "on_conflict": on_conflict}
    if on_conflict == "fail":
        with pytest.raises(ConflictError):
            import_archive(archive_of(licence), policy=policy, **options)
        return
    import_archive(archive_of(licence), policy=policy, **options)
    expected = "L-theirs" if on_conflict == "skip" else "L-mine"
    assert m.Licence.objects.using(OTHER).get(pk="nova").number == expected


def test_update_fills_in_links_left_for_later(world: World) -> None:
    top = m.Label.objects.create(code="crown")
    m.Label.objects.create(code="twig", parent=top)
    theirs = m.Label.objects.using(OTHER).create(code="twig-x")
    policy = Policy(hooks={"testapp.Label": {"pre_save": suffix}})
    import_archive(archive_of(top), using=OTHER, pks="remap", on_conflict="update", policy=policy)
    assert m.Label.objects.using(OTHER).get(pk=theirs.pk).parent_id == "crown-x"


def test_created_needed_leaves_out_rows_skipped(world: World) -> None:
    colour = m.Colour.objects.create(name="teal")
    maker = m.Maker.objects.create(code="nova", colour=colour)
    catalogue = m.Catalogue.objects.create(name="c")
    m.Entry.objects.create(catalogue=catalogue, number=1, colour=colour, maker=maker)
    m.Maker.objects.using(OTHER).create(code="nova")
    result = import_archive(
        archive_of(catalogue), using=OTHER, pks="remap", on_conflict="skip",
        match={"testapp.Maker": ["colour"]},
    )  # fmt: skip
    report = result.models["testapp.maker"]
    assert (report.created, report.skipped, report.created_needed) == (0, 1, 0)


def test_set_fields_on_an_inherited_field_names_the_parent(world: World) -> None:
    car = m.Car.objects.create(name="coupe", doors=2)
    with pytest.raises(PolicyError, match=r"Set it there: 'testapp\.Vehicle\.name'"):
        clone(car, set_fields={"testapp.Car.name": "copy"})
    copy = clone(car, set_fields={"testapp.Vehicle.name": "copy"}).copy_of(car)
    assert isinstance(copy, m.Car) and copy.name == "copy"
