"""One root object per hard case of the zoo, shared by the tests of every operation."""

from __future__ import annotations

import django
from django.db.models import Model

from tests.testapp import catalogues
from tests.testapp import models as m
from tests.testapp.world import World


def roots_of(world: World) -> dict[str, Model]:
    project = world.projects[0]
    task = project.tasks.filter(parent=None).first()
    assert task is not None
    roots: dict[str, Model | None] = {
        "organisation": world.org,
        "project": project,
        "task": task,
        "milestone": project.milestones.first(),
        "document": project.documents.first(),
        "membership": project.memberships.first(),
        "person (no project led)": world.people[5],
        "profile": world.people[0].profile,
        "tag": world.tags[0],
        "country": world.extra["fr"],
        "place": m.Place.objects.filter(restaurant=None).first(),
        "restaurant as place": m.Place.objects.filter(restaurant__isnull=False).first(),
        "restaurant": m.Restaurant.objects.filter(italianrestaurant=None).first(),
        "italian restaurant": m.ItalianRestaurant.objects.first(),
        "diamond bottom": world.extra["bottom"],
        "diamond ancestor": m.Ancestor.objects.get(pk=world.extra["bottom"].pk),
        "left only": world.extra["left"],
        "chicken (no-null cycle)": world.extra["chicken"],
        "note": m.Note.objects.first(),
    }
    if django.VERSION >= (6, 1):
        roots["shelf (database cascade)"] = world.extra["shelf"]
        roots["book (database set null)"] = world.extra["book"]
    roots.update(world.extra["catalogue roots"])
    assert all(root is not None for root in roots.values())
    return {name: root for name, root in roots.items() if root is not None}


ROOT_NAMES = [
    "organisation", "project", "task", "milestone", "document", "membership",
    "person (no project led)", "profile", "tag", "country", "place",
    "restaurant as place", "restaurant", "italian restaurant", "diamond bottom",
    "diamond ancestor", "left only", "chicken (no-null cycle)", "note",
    *(["shelf (database cascade)", "book (database set null)"] if django.VERSION >= (6, 1) else []),
    *catalogues.ROOT_NAMES,
]  # fmt: skip
