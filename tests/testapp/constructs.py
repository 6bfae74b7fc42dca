"""The zoo's second tree: what an import meets as *needed* rows, and rarer relations.

A Catalogue owns Entries (numbered within it). Each Entry needs rows from
outside the tree, one of every kind that is hard to bring across:

* a Colour: no natural key, nothing unique, and a link to another Colour,
  so only an identical row at the same key is a match;
* a Maker: a natural key, and a link of its own (to a Colour);
* a Car: a multi-table-inheritance child of Vehicle (as Truck is), with a
  Registration whose primary key is a one-to-one to the car;
* a Region: a string primary key with no default;
* an Edition, a Release and a Grade: date, datetime and decimal primary keys.

Around them: Mentions and Citations point at an Entry through a
``ForeignObject`` (by catalogue and number; by a plain column holding its
key); Stickers carry a generic foreign key declared on an abstract parent,
Replies one declared on a multi-table parent (Comment), and a Catalogue
reaches its Replies through a ``GenericRelation``; Vehicles have Comments,
which Django leaves behind when only the Car part of a vehicle is deleted.
Sections are linked to by ``to_field``, Labels by a self link by
``to_field``; a Badge is a unique one-to-one to a Maker. A Hybrid has two
multi-table parents of its own (Engine and Body); Hen and Nest are a cycle
with no nullable column whose links are in unique sets. Entries hold values
of custom field types. Where Django has them: a ``GeneratedField``, and a
primary key the database makes (``db_default``).
"""

from __future__ import annotations

import decimal
import fractions
from typing import Any

import django
from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import ProtectedError


class CommaSeparatedField(models.TextField):  # type: ignore[type-arg]
    """A list of words stored as one comma-separated text: a custom field type."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> list[str] | None:
        return self.to_python(value)

    def to_python(self, value: Any) -> list[str] | None:
        if value is None or isinstance(value, list):
            return value
        return [word for word in str(value).split(",") if word]

    def get_prep_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return ",".join(value)
        return value

    def value_to_string(self, obj: Any) -> str:
        return ",".join(self.value_from_object(obj) or [])


class FractionField(models.CharField):  # type: ignore[type-arg]
    """A ``fractions.Fraction`` stored as text: a value no JSON encoder knows."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 40)
        super().__init__(*args, **kwargs)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return self.to_python(value)

    def to_python(self, value: Any) -> Any:
        if value is None or isinstance(value, fractions.Fraction):
            return value
        return fractions.Fraction(str(value))

    def get_prep_value(self, value: Any) -> Any:
        return None if value is None else str(value)


class NaturalCodeManager(models.Manager["Maker"]):
    def get_by_natural_key(self, code: str) -> Maker:
        return self.get(code=code)


class Colour(models.Model):
    name = models.CharField(max_length=30)
    base = models.ForeignKey("self", models.SET_NULL, null=True, related_name="shades")


class Maker(models.Model):
    code = models.CharField(max_length=20, unique=True)
    colour = models.ForeignKey(Colour, models.SET_NULL, null=True, related_name="makers")

    objects = NaturalCodeManager()

    def natural_key(self) -> tuple[str]:
        return (self.code,)


class Vehicle(models.Model):
    name = models.CharField(max_length=30)
    maker = models.ForeignKey(Maker, models.SET_NULL, null=True, related_name="vehicles")
    comments = GenericRelation("Comment")


class Car(Vehicle):
    doors = models.IntegerField(default=4)


class Truck(Vehicle):
    """Another child of Vehicle: a vehicle row may have both parts."""

    load = models.IntegerField(default=0)


class Registration(models.Model):
    car = models.OneToOneField(Car, models.CASCADE, primary_key=True, related_name="registration")
    plate = models.CharField(max_length=12)


class Region(models.Model):
    code = models.CharField(max_length=10, primary_key=True)
    name = models.CharField(max_length=30)


class Edition(models.Model):
    day = models.DateField(primary_key=True)
    title = models.CharField(max_length=30)


class Release(models.Model):
    at = models.DateTimeField(primary_key=True)
    title = models.CharField(max_length=30)


class Grade(models.Model):
    value = models.DecimalField(primary_key=True, max_digits=6, decimal_places=2)
    name = models.CharField(max_length=30)


class Catalogue(models.Model):
    name = models.CharField(max_length=30)
    region = models.ForeignKey(Region, models.SET_NULL, null=True, related_name="catalogues")
    replies = GenericRelation("Reply")
    stickers = GenericRelation("Sticker")


class Entry(models.Model):
    catalogue = models.ForeignKey(Catalogue, models.CASCADE, related_name="entries")
    number = models.IntegerField()
    colour = models.ForeignKey(Colour, models.PROTECT, related_name="entries")
    maker = models.ForeignKey(Maker, models.SET_NULL, null=True, related_name="entries")
    car = models.ForeignKey(Car, models.SET_NULL, null=True, related_name="entries")
    registration = models.ForeignKey(
        Registration, models.SET_NULL, null=True, related_name="entries"
    )
    region = models.ForeignKey(Region, models.SET_NULL, null=True, related_name="entries")
    edition = models.ForeignKey(Edition, models.SET_NULL, null=True, related_name="entries")
    release = models.ForeignKey(Release, models.SET_NULL, null=True, related_name="entries")
    grade = models.ForeignKey(Grade, models.SET_NULL, null=True, related_name="entries")
    words = CommaSeparatedField(default="")
    share = FractionField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["catalogue", "number"], name="one_number"),
        ]


class Mention(models.Model):
    """Points at an Entry by (catalogue, number): Django cascades through it."""

    catalogue = models.ForeignKey(Catalogue, models.CASCADE, related_name="mentions")
    number = models.IntegerField()
    entry = models.ForeignObject(
        Entry,
        models.CASCADE,
        from_fields=["catalogue", "number"],
        to_fields=["catalogue", "number"],
        related_name="mentions",
    )
    text = models.CharField(max_length=30, default="")


class Citation(models.Model):
    """Points at an Entry through a plain column holding its key."""

    entry_key = models.IntegerField()
    entry = models.ForeignObject(
        Entry, models.CASCADE, from_fields=["entry_key"], to_fields=["id"], related_name="citations"
    )
    text = models.CharField(max_length=30, default="")


class Attachment(models.Model):
    content_type = models.ForeignKey(ContentType, models.CASCADE, related_name="+")
    object_id = models.PositiveIntegerField()
    target = GenericForeignKey("content_type", "object_id")

    class Meta:
        abstract = True


class Sticker(Attachment):
    """A generic foreign key declared on an abstract parent."""

    text = models.CharField(max_length=30, default="")


class Comment(models.Model):
    content_type = models.ForeignKey(ContentType, models.CASCADE, related_name="+")
    object_id = models.PositiveIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    text = models.CharField(max_length=30, default="")


class Reply(Comment):
    """A generic foreign key declared on a multi-table parent."""

    urgent = models.BooleanField(default=False)


class Section(models.Model):
    """Linked to by its code (``to_field``), which a clone must rename."""

    catalogue = models.ForeignKey(Catalogue, models.CASCADE, related_name="sections")
    code = models.CharField(max_length=30, unique=True)


class Placement(models.Model):
    section = models.ForeignKey(Section, models.CASCADE, to_field="code", related_name="placements")
    entry = models.ForeignKey(Entry, models.CASCADE, related_name="placements")


class Licence(models.Model):
    """Keyed by a one-to-one to a maker's code: a key that is a link by ``to_field``."""

    maker = models.OneToOneField(
        Maker, models.CASCADE, to_field="code", primary_key=True, related_name="licence"
    )
    number = models.CharField(max_length=20, default="")


class Badge(models.Model):
    """A unique one-to-one to a needed row: a copy cannot point at the same maker."""

    maker = models.OneToOneField(Maker, models.CASCADE, related_name="badge")
    label = models.CharField(max_length=30, default="")


def refuse_when_held(collector: Any, field: Any, sub_objs: Any, using: str) -> None:
    """A custom ``on_delete``: a held entry cannot go."""
    held = [obj for obj in sub_objs if obj.held]
    if held:
        raise ProtectedError(f"{len(held)} hold(s) keep the entry", set(held))
    models.SET_NULL(collector, field, sub_objs, using)


class Hold(models.Model):
    """Outside every tree; its ``on_delete`` is a function of its own."""

    entry = models.ForeignKey(Entry, refuse_when_held, null=True, related_name="holds")
    held = models.BooleanField(default=True)


class Hen(models.Model):
    """A cycle with no nullable column, each side in a unique set with its link."""

    nest = models.ForeignKey("Nest", models.CASCADE, related_name="+")
    name = models.CharField(max_length=20)

    class Meta:
        unique_together = [("nest", "name")]


class Nest(models.Model):
    hen = models.ForeignKey(Hen, models.CASCADE, related_name="nests")
    label = models.CharField(max_length=20, default="")

    class Meta:
        unique_together = [("hen", "label")]


class Engine(models.Model):
    engine_id = models.AutoField(primary_key=True)
    power = models.IntegerField(default=0)


class Body(models.Model):
    body_id = models.AutoField(primary_key=True)
    shape = models.CharField(max_length=20, default="")


class Hybrid(Engine, Body):
    """Two parents with tables of their own and no common ancestor."""

    seats = models.IntegerField(default=4)


class Garage(models.Model):
    """Needs a Hybrid: an object of three rows, two of them parents."""

    hybrid = models.ForeignKey(Hybrid, models.PROTECT, related_name="+")
    name = models.CharField(max_length=20, default="")


class Label(models.Model):
    """A self link by ``to_field``: a renamed code carries its children along."""

    code = models.CharField(max_length=30, unique=True)
    parent = models.ForeignKey(
        "self", models.CASCADE, to_field="code", null=True, related_name="children"
    )


GRADES = (decimal.Decimal("1.50"), decimal.Decimal("2.75"))


if django.VERSION >= (5, 0):

    class RandomKey(models.Func):
        """A random key the database makes; each backend spells it its own way."""

        output_field = models.CharField(max_length=36)

        def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
            return "(lower(hex(randomblob(16))))", []

        def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
            return "(gen_random_uuid()::text)", []

        def as_mysql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
            return "(uuid())", []

    class Measure(models.Model):
        """A column the database computes, and a key the database makes."""

        id = models.CharField(max_length=36, primary_key=True, db_default=RandomKey())
        entry = models.ForeignKey(Entry, models.CASCADE, related_name="measures")
        width = models.IntegerField()
        height = models.IntegerField()
        area = models.GeneratedField(
            expression=models.F("width") * models.F("height"),
            output_field=models.IntegerField(),
            db_persist=True,
        )


if django.VERSION >= (5, 2):

    class Lot(models.Model):
        """A composite primary key, one part a link to the catalogue."""

        pk = models.CompositePrimaryKey("catalogue", "number")
        catalogue = models.ForeignKey(Catalogue, models.CASCADE, related_name="lots")
        number = models.IntegerField()
        title = models.CharField(max_length=30, default="")

    class Bid(models.Model):
        """Points at a Lot by its composite key through a ``ForeignObject``."""

        catalogue = models.ForeignKey(Catalogue, models.CASCADE, related_name="bids")
        lot_number = models.IntegerField()
        lot = models.ForeignObject(
            Lot,
            models.CASCADE,
            from_fields=["catalogue", "lot_number"],
            to_fields=["catalogue", "number"],
            related_name="bids",
        )
        amount = models.IntegerField(default=0)
