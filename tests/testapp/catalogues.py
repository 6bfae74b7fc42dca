"""Build the data of the zoo's second tree (see :mod:`tests.testapp.constructs`)."""

from __future__ import annotations

import datetime
import fractions
from typing import Any

import django

from . import constructs as c


def build_catalogues() -> dict[str, Any]:
    """Two catalogues sharing colours, makers, cars and keys of every type; return the roots."""
    red = c.Colour.objects.create(name="red")
    crimson = c.Colour.objects.create(name="crimson", base=red)
    blue = c.Colour.objects.create(name="blue")
    acme = c.Maker.objects.create(code="acme", colour=crimson)
    zeta = c.Maker.objects.create(code="zeta")
    roadster = c.Car.objects.create(name="roadster", maker=acme, doors=2)
    van = c.Car.objects.create(name="van", maker=zeta)
    c.Vehicle.objects.create(name="bike", maker=acme)
    registration = c.Registration.objects.create(car=roadster, plate="AB-123")
    north = c.Region.objects.create(code="north", name="North")
    south = c.Region.objects.create(code="south", name="South")
    editions = [
        c.Edition.objects.create(day=datetime.date(2024 + i, 1, 1), title=f"edition {i}")
        for i in range(2)
    ]
    release = c.Release.objects.create(
        at=datetime.datetime(2024, 5, 1, 12, 30, 15, 250000, tzinfo=datetime.timezone.utc),
        title="spring",
    )
    grades = [c.Grade.objects.create(value=value, name=f"grade {value}") for value in c.GRADES]
    c.Badge.objects.create(maker=acme, label="approved")
    licence = c.Licence.objects.create(maker=acme, number="L-1")
    c.Comment.objects.create(target=roadster, text="on a car")
    # On the vehicle part: Django leaves it behind when the car goes, graft_delete does not.
    c.Comment.objects.create(target=c.Vehicle.objects.get(pk=roadster.pk), text="on a vehicle")
    needs = [
        {"colour": crimson, "maker": acme, "car": roadster, "registration": registration},
        {"colour": blue, "maker": zeta, "car": van, "region": south, "edition": editions[0]},
        {"colour": red, "release": release, "grade": grades[1], "edition": editions[1]},
    ]
    catalogues = []
    for i in range(2):
        catalogue = c.Catalogue.objects.create(name=f"catalogue {i}", region=north)
        entries = [
            c.Entry.objects.create(
                catalogue=catalogue,
                number=n + 1,
                words=["alpha", f"n{n}"],
                share=fractions.Fraction(n + 1, 3),
                **needs[n],
            )
            for n in range(3)
        ]
        c.Mention.objects.create(catalogue=catalogue, number=1, text="first entry")
        c.Mention.objects.create(catalogue=catalogue, number=3, text="third entry")
        c.Citation.objects.create(entry_key=entries[1].pk, text="cited")
        c.Sticker.objects.create(target=catalogue, text="on the catalogue")
        c.Sticker.objects.create(target=entries[0], text="on an entry")
        c.Reply.objects.create(target=catalogue, text="a reply", urgent=True)
        c.Comment.objects.create(target=catalogue, text="not a reply")
        section = c.Section.objects.create(catalogue=catalogue, code=f"c{i}-front")
        c.Placement.objects.create(section=section, entry=entries[0])
        c.Placement.objects.create(section=section, entry=entries[2])
        c.Hold.objects.create(entry=entries[2], held=i == 1)
        if django.VERSION >= (5, 0):
            c.Measure.objects.create(entry=entries[0], width=3, height=4)
        if django.VERSION >= (5, 2):
            c.Lot.objects.create(catalogue=catalogue, number=1, title="first lot")
            c.Bid.objects.create(catalogue=catalogue, lot_number=1, amount=10)
        catalogues.append((catalogue, entries))
    (catalogue, entries), (_, held_entries) = catalogues
    roots: dict[str, Any] = {
        "catalogue": catalogue,
        "entry (foreign objects point at it)": entries[0],
        "entry with a hold": held_entries[2],
        "colour (no natural key)": crimson,
        "maker (natural key)": acme,
        "car (inherited child)": roadster,
        "vehicle of a car": c.Vehicle.objects.get(pk=roadster.pk),
        "registration (one-to-one key)": registration,
        "region (text key)": north,
        "edition (date key)": editions[0],
        "release (datetime key)": release,
        "grade (decimal key)": grades[1],
        "sticker (abstract generic key)": c.Sticker.objects.first(),
        "reply (inherited generic key)": c.Reply.objects.first(),
        "section (to_field target)": c.Section.objects.first(),
        "badge (unique one-to-one)": c.Badge.objects.first(),
    }
    roots["licence (key by to_field)"] = licence
    hybrid = c.Hybrid.objects.create(power=100, shape="round", seats=2)
    roots["garage (needs a two-parent object)"] = c.Garage.objects.create(hybrid=hybrid)
    top = c.Label.objects.create(code="top")
    c.Label.objects.create(code="leaf", parent=top)
    roots["label (self link by to_field)"] = top
    if django.VERSION >= (5, 0):
        roots["measure (generated column, database key)"] = c.Measure.objects.first()
    if django.VERSION >= (5, 2):
        roots["lot (composite key)"] = c.Lot.objects.first()
    return roots


ROOT_NAMES = [
    "catalogue", "entry (foreign objects point at it)", "entry with a hold",
    "colour (no natural key)", "maker (natural key)", "car (inherited child)",
    "vehicle of a car", "registration (one-to-one key)", "region (text key)",
    "edition (date key)", "release (datetime key)", "grade (decimal key)",
    "sticker (abstract generic key)", "reply (inherited generic key)",
    "section (to_field target)", "badge (unique one-to-one)",
    "garage (needs a two-parent object)", "label (self link by to_field)",
    "licence (key by to_field)",
    *(["measure (generated column, database key)"] if django.VERSION >= (5, 0) else []),
    *(["lot (composite key)"] if django.VERSION >= (5, 2) else []),
]  # fmt: skip
