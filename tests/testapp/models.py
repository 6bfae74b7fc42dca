"""The model zoo: every hard case a graph walk meets, in one small schema.

Organisation owns Projects; a Project owns Memberships (explicit M2M
through), Tasks (a self FK tree, a nullable self FK sideways), Milestones
(a nullable cycle with Project), Documents (UUID pk, file, binary, JSON),
Samples (every field type) and Notes (GenericRelation). Shared rows sit
outside every tree: Tags (auto M2M, natural key), People (natural key,
O2O Profile, proxy), Countries (string pk, to_field). Places go three
levels deep in multi-table inheritance; Ancestor/Left/Right/Bottom is a
diamond. Chicken/Egg is a cycle with no nullable edge. PROTECT, RESTRICT,
SET_NULL, SET_DEFAULT and DO_NOTHING all point in from outside trees.
"""

from __future__ import annotations

import uuid
from typing import Any

import django
from django.contrib.auth.models import User
from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.db import models


class NaturalKeyManager(models.Manager[Any]):
    key_field = "name"

    def get_by_natural_key(self, key: str) -> Any:
        return self.get(**{self.key_field: key})


class Tag(models.Model):
    name = models.CharField(max_length=50, unique=True)

    objects = NaturalKeyManager()

    def natural_key(self) -> tuple[str]:
        return (self.name,)

    def __str__(self) -> str:
        return self.name


class Country(models.Model):
    code = models.CharField(max_length=2, primary_key=True)
    name = models.CharField(max_length=100)

    def __str__(self) -> str:
        return self.code


class PersonManager(NaturalKeyManager):
    key_field = "username"


class Person(models.Model):
    username = models.CharField(max_length=50, unique=True)
    country = models.ForeignKey(Country, models.SET_NULL, null=True, blank=True)

    objects = PersonManager()

    def natural_key(self) -> tuple[str]:
        return (self.username,)

    def __str__(self) -> str:
        return self.username


class ProxyPerson(Person):
    class Meta:
        proxy = True


class AccountProxy(User):
    """Another name for the user model's table (in its app: ``dumpdata testapp`` skips it)."""

    class Meta:
        proxy = True
        app_label = "auth"


class Profile(models.Model):
    person = models.OneToOneField(Person, models.CASCADE, related_name="profile")
    bio = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"profile of {self.person_id}"


class Organisation(models.Model):
    name = models.CharField(max_length=100, unique=True)
    notes = GenericRelation("Note")

    def __str__(self) -> str:
        return self.name


class Project(models.Model):
    organisation = models.ForeignKey(Organisation, models.CASCADE, related_name="projects")
    name = models.CharField(max_length=100)
    lead = models.ForeignKey(Person, models.PROTECT, related_name="leads")
    members = models.ManyToManyField(Person, through="Membership", related_name="projects")
    tags = models.ManyToManyField(Tag, blank=True, related_name="projects")
    # Closes a nullable cycle: Milestone.project points back here.
    current_milestone = models.ForeignKey(
        "Milestone", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    notes = GenericRelation("Note")

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    project = models.ForeignKey(Project, models.CASCADE, related_name="memberships")
    person = models.ForeignKey(Person, models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, default="member")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "person"], name="one_membership"),
        ]


class Milestone(models.Model):
    project = models.ForeignKey(Project, models.CASCADE, related_name="milestones")
    title = models.CharField(max_length=100)
    due = models.DateField(null=True)


class Task(models.Model):
    project = models.ForeignKey(Project, models.CASCADE, related_name="tasks")
    parent = models.ForeignKey(
        "self", models.CASCADE, null=True, blank=True, related_name="subtasks"
    )
    blocked_by = models.ForeignKey(
        "self", models.SET_NULL, null=True, blank=True, related_name="blocking"
    )
    assignee = models.ForeignKey(Person, models.SET_NULL, null=True, blank=True, related_name="+")
    title = models.CharField(max_length=100)

    def __str__(self) -> str:
        return self.title


class Document(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    project = models.ForeignKey(Project, models.CASCADE, related_name="documents")
    file = models.FileField(upload_to="docs/", blank=True)
    payload = models.BinaryField(null=True)
    data = models.JSONField(default=dict)
    notes = GenericRelation("Note")


class Sample(models.Model):
    """One column of every type an archive must carry without loss."""

    project = models.ForeignKey(Project, models.CASCADE, related_name="samples")
    char = models.CharField(max_length=50, default="")
    text = models.TextField(default="")
    integer = models.IntegerField(default=0)
    big = models.BigIntegerField(default=0)
    small = models.SmallIntegerField(default=0)
    positive_big = models.PositiveBigIntegerField(default=0)
    floating = models.FloatField(default=0.0)
    decimal = models.DecimalField(max_digits=30, decimal_places=10, default=0)
    flag = models.BooleanField(default=False)
    maybe = models.BooleanField(null=True)
    day = models.DateField(null=True)
    moment = models.DateTimeField(null=True)
    clock = models.TimeField(null=True)
    span = models.DurationField(null=True)
    ident = models.UUIDField(null=True)
    data = models.JSONField(null=True)
    blob = models.BinaryField(null=True)
    email = models.EmailField(blank=True)
    address = models.GenericIPAddressField(null=True)
    attachment = models.FileField(upload_to="samples/", blank=True)


class Note(models.Model):
    """Reached through GenericRelation from Organisation, Project and Document."""

    content_type = models.ForeignKey(ContentType, models.CASCADE)
    object_id = models.CharField(max_length=64)
    target = GenericForeignKey("content_type", "object_id")
    text = models.TextField()


class Bookmark(models.Model):
    """A generic foreign key with no GenericRelation on the other side."""

    owner = models.ForeignKey(Person, models.CASCADE, related_name="bookmarks")
    content_type = models.ForeignKey(ContentType, models.CASCADE, null=True)
    object_id = models.PositiveIntegerField(null=True)
    target = GenericForeignKey("content_type", "object_id")


# -- references from outside a tree, with every on_delete ------------------


class Audit(models.Model):
    project = models.ForeignKey(Project, models.SET_NULL, null=True, related_name="audits")
    task = models.ForeignKey(
        Task, models.DO_NOTHING, null=True, db_constraint=False, related_name="+"
    )
    label = models.CharField(max_length=50, default="")


class Contract(models.Model):
    project = models.ForeignKey(Project, models.PROTECT, null=True, related_name="contracts")
    milestone = models.ForeignKey(Milestone, models.RESTRICT, null=True, related_name="contracts")


def default_country() -> str | None:
    return None


class Shipment(models.Model):
    country = models.ForeignKey(
        Country, models.SET_DEFAULT, null=True, default=default_country, related_name="shipments"
    )
    # A foreign key to a unique field that is not the primary key.
    recipient = models.ForeignKey(
        Person, models.CASCADE, to_field="username", null=True, related_name="shipments"
    )


# -- multi-table inheritance: three levels, and a diamond -------------------


class Place(models.Model):
    organisation = models.ForeignKey(Organisation, models.CASCADE, related_name="places")
    name = models.CharField(max_length=100)


class Restaurant(Place):
    serves_pizza = models.BooleanField(default=False)


class ItalianRestaurant(Restaurant):
    chef = models.ForeignKey(Person, models.SET_NULL, null=True, related_name="+")


class Ancestor(models.Model):
    id = models.AutoField(primary_key=True)


class Left(Ancestor):
    left_link = models.OneToOneField(
        Ancestor, models.CASCADE, primary_key=True, parent_link=True, related_name="as_left"
    )
    left_value = models.IntegerField(default=0)


class Right(Ancestor):
    right_link = models.OneToOneField(
        Ancestor, models.CASCADE, primary_key=True, parent_link=True, related_name="as_right"
    )
    right_value = models.IntegerField(default=0)


class Bottom(Left, Right):
    bottom_value = models.IntegerField(default=0)


# -- a cycle with no nullable edge --------------------------------------------


class Chicken(models.Model):
    egg = models.ForeignKey("Egg", models.CASCADE, related_name="+")
    name = models.CharField(max_length=20, default="")


class Egg(models.Model):
    chicken = models.ForeignKey(Chicken, models.CASCADE, related_name="eggs")


# -- composite primary key, where Django has it ------------------------------

if django.VERSION >= (5, 2):

    class TaskTag(models.Model):
        pk = models.CompositePrimaryKey("task", "tag")
        task = models.ForeignKey(Task, models.CASCADE, related_name="task_tags")
        tag = models.ForeignKey(Tag, models.CASCADE, related_name="task_tags")
        weight = models.IntegerField(default=1)


# -- what the database does itself, where Django has it ------------------------
# Django wants a chain of database-level actions to be one from end to end.

if django.VERSION >= (6, 1):

    class Shelf(models.Model):
        name = models.CharField(max_length=20, default="")

    class Book(models.Model):
        """Deleted by the database with its shelf: Django never collects it."""

        shelf = models.ForeignKey(Shelf, models.DB_CASCADE, related_name="books")
        title = models.CharField(max_length=50, default="")

    class Loan(models.Model):
        """Outside every tree; the database clears its link when the book goes."""

        book = models.ForeignKey(Book, models.DB_SET_NULL, null=True, related_name="loans")


# The second tree, in a module of its own.
from tests.testapp.boards import *  # noqa: E402, F403
from tests.testapp.constructs import *  # noqa: E402, F403
