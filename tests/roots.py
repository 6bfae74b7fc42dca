"""One root object per hard case of the zoo, shared by the tests of every operation."""

from __future__ import annotations

from typing import Any

import django
from django.contrib.contenttypes.fields import GenericRelation
from django.contrib.contenttypes.models import ContentType
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


def left_behind_by_django(root: Model) -> set[tuple[str, Any]]:
    """Rows ``Model.delete()`` of ``root`` leaves pointing at a deleted row, and graft removes.

    Deleting a multi-table child, Django deletes its parent rows but not the
    rows the parents' ``GenericRelation`` fields reach: those are left with
    a generic foreign key to a row that is gone. graft_delete removes them
    with the parent row they belong to (see docs/operations.md).
    """
    found = set()
    for parent in type(root)._meta.get_parent_list():
        content_type = ContentType.objects.get_for_model(parent)
        for f in parent._meta.private_fields:
            if isinstance(f, GenericRelation) and f.model is parent:
                related: Any = f.related_model
                rows = related._base_manager.filter(
                    **{f.content_type_field_name: content_type, f.object_id_field_name: root.pk}
                )
                found |= {
                    (related._meta.label_lower, pk) for pk in rows.values_list("pk", flat=True)
                }
    return found
