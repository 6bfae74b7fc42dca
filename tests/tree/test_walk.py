from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any
from unittest import mock

import django
import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import DEFAULT_DB_ALIAS, models
from django.db.models import CASCADE, DO_NOTHING, SET_DEFAULT, SET_NULL, Model
from django.db.models.deletion import Collector as DjangoCollector

from django_graft import Policy, collect
from django_graft.exceptions import ObjectNotFound, SpecError
from django_graft.schema.labels import concrete, model_label
from django_graft.tree.graph import Role
from tests.queries import count_queries
from tests.roots import ROOT_NAMES, left_behind_by_django, roots_of
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db

#: Django 6.1's actions that the database takes itself.
DATABASE_ACTIONS = [
    getattr(models, name) for name in ("DB_CASCADE", "DB_SET_NULL", "DB_SET_DEFAULT")
    if hasattr(models, name)
]  # fmt: skip


def owned_rows(root: Model) -> set[tuple[str, Any]]:
    graph = collect(root)
    return {(model_label(model), pk) for model, keys in graph.owned.items() for pk in keys}


@contextmanager
def protections_lifted() -> Iterator[None]:
    """Make every ``on_delete`` that refuses (or may refuse) a delete ``DO_NOTHING``.

    Such handlers (``PROTECT``, ``RESTRICT``, functions of the schema's own)
    never delete a row, so without them Django's collector says what a
    delete would remove, where otherwise it would refuse to say.
    """
    refusing = {CASCADE, SET_NULL, SET_DEFAULT, DO_NOTHING, *DATABASE_ACTIONS}
    with ExitStack() as stack:
        for model in apps.get_models(include_auto_created=True):
            for f in model._meta.local_fields:
                handler = getattr(f.remote_field, "on_delete", None)
                if handler is not None and handler not in refusing and not _is_set(handler):
                    stack.enter_context(mock.patch.object(f.remote_field, "on_delete", DO_NOTHING))
        yield


def _is_set(handler: Any) -> bool:
    deconstruct = getattr(handler, "deconstruct", None)
    return deconstruct is not None and deconstruct()[0] == "django.db.models.SET"


def deleted_rows(root: Model) -> set[tuple[str, Any]]:
    """What Model.delete() would remove, asked from Django's own collector.

    Rows the database deletes itself (``DB_CASCADE``) count too: Django 6.1
    collects them when asked to. Rows that would refuse the delete are left
    to the delete's own tests (see :func:`protections_lifted`).
    """
    collector: Any = DjangoCollector(using=DEFAULT_DB_ALIAS)
    if django.VERSION >= (6, 1):
        collector.force_collection = True
    with protections_lifted():
        collector.collect([root])
    rows = {
        (model_label(concrete(model)), obj.pk)
        for model, objs in collector.data.items()
        for obj in objs
    }
    for queryset in collector.fast_deletes:
        label = model_label(concrete(queryset.model))
        rows |= {(label, pk) for pk in queryset.values_list("pk", flat=True)}
    return rows


@pytest.mark.parametrize("name", ROOT_NAMES)
def test_owned_set_is_what_delete_removes(world: World, name: str) -> None:
    root = roots_of(world)[name]
    assert owned_rows(root) == deleted_rows(root) | left_behind_by_django(root)


def test_every_root_name_is_tested(world: World) -> None:
    assert sorted(roots_of(world)) == sorted(ROOT_NAMES)


def test_shared_rows_are_needed_never_followed_backwards(world: World) -> None:
    graph = collect(world.org)
    people = {p.pk for p in world.people[:3]}
    assert graph.needed[m.Person] == people
    through = m.Project.tags.through.objects.filter(project__organisation=world.org)
    tags = set(through.values_list("tag_id", flat=True))
    if django.VERSION >= (5, 2):
        task_tags = m.TaskTag.objects.filter(task__project__organisation=world.org)
        tags |= set(task_tags.values_list("tag_id", flat=True))
    assert graph.needed[m.Tag] == tags
    assert graph.needed[m.Country] == {"fr"}
    # Nothing of the other tenant comes in through the shared people or tags.
    assert world.other_org.pk not in graph.owned[m.Organisation]
    other = set(m.Project.objects.filter(organisation=world.other_org).values_list("pk", flat=True))
    assert not other & graph.owned[m.Project]
    assert m.Profile not in graph.owned and m.Profile not in graph.needed


def test_content_types_are_referenced(world: World) -> None:
    graph = collect(world.org)
    expected = {
        ContentType.objects.get_for_model(model).pk
        for model in (m.Organisation, m.Project, m.Document)
    }
    assert graph.referenced[ContentType] == expected


def test_generic_foreign_key_targets_are_needed(world: World) -> None:
    bookmark = m.Bookmark.objects.get(owner=world.people[4])
    graph = collect(bookmark)
    assert graph.needed[m.Project] == {world.projects[0].pk}
    # Needed rows are followed forward only: the project's organisation,
    # never its tasks.
    assert graph.needed[m.Organisation] == {world.org.pk}
    assert m.Task not in graph.needed


def test_reasons_give_the_path_from_the_root(world: World) -> None:
    graph = collect(world.org)
    path = [edge.label for edge in graph.path_to(m.Tag)]
    assert path == [
        "testapp.organisation.projects",
        "testapp.project.tags",
        "testapp.project_tags.tag",
    ]
    assert graph.reasons[m.Milestone].role is Role.OWN
    assert [e.label for e in graph.path_to(m.Milestone)] == [
        "testapp.organisation.projects",
        "testapp.project.milestones",
    ]
    assert graph.path_to(m.Organisation) == []


def test_to_field_foreign_keys(world: World) -> None:
    shipment = m.Shipment.objects.get()
    graph = collect(shipment)
    assert graph.needed[m.Person] == {world.people[1].pk}
    courier = m.Person.objects.create(username="courier")
    m.Shipment.objects.create(recipient=courier)
    assert owned_rows(courier) == deleted_rows(courier)
    assert len(collect(courier).owned[m.Shipment]) == 1


def test_proxy_roots_collect_the_concrete_model(world: World) -> None:
    proxy = m.ProxyPerson.objects.get(pk=world.people[5].pk)
    graph = collect(proxy)
    assert graph.owned[m.Person] == {proxy.pk}


@pytest.mark.skipif(django.VERSION < (5, 2), reason="composite primary keys need Django 5.2")
def test_composite_primary_keys(world: World) -> None:
    task = m.Task.objects.filter(parent__isnull=False, project=world.projects[0]).first()
    assert task is not None
    graph = collect(task)
    keys = graph.owned[m.TaskTag]
    assert keys == {(task.pk, t.tag_id) for t in m.TaskTag.objects.filter(task=task)}
    root = collect({m.TaskTag: list(keys)})
    assert root.needed[m.Tag]


def test_policy_overrides_edges(world: World) -> None:
    policy = Policy(
        edges={"testapp.Project.tasks": "skip", "TESTAPP.project.current_milestone": "skip"},
        reference=["testapp.person"],
    )
    graph = collect(world.org, policy=policy)
    assert m.Task not in graph.owned
    assert m.Person not in graph.needed
    assert graph.referenced[m.Person] == {p.pk for p in world.people[:3]}


def test_policy_own_on_a_forward_edge(world: World) -> None:
    policy = Policy(edges={"testapp.person.country": "own"})
    graph = collect(world.people[0], policy=policy)
    assert graph.owned[m.Country] == {"fr"}


def test_missing_root(world: World) -> None:
    with pytest.raises(ObjectNotFound) as info:
        collect({m.Project: [world.projects[0].pk, 999_999]})
    assert info.value.message == (
        "No testapp.project with primary key 999999 exists in database 'default'. "
        "Check the key, or pass --database for another database."
    )
    assert info.value.pks == [999_999]


def test_reference_model_cannot_be_a_root(world: World) -> None:
    with pytest.raises(SpecError, match="is a reference in this policy"):
        collect(world.people[0], policy=Policy(reference=["testapp.Person"]))


def test_roots_as_specs_and_querysets(world: World) -> None:
    by_spec = collect(f"testapp.Project:{world.projects[0].pk}")
    by_queryset = collect(m.Project.objects.filter(pk=world.projects[0].pk))
    assert by_spec.owned == by_queryset.owned


def test_query_count_does_not_grow_with_the_tree(
    small_and_big: tuple[m.Organisation, m.Organisation],
) -> None:
    small, big = small_and_big
    assert collect(small).total_rows < 80 and collect(big).total_rows > 2000
    assert count_queries(lambda: collect(small)) == count_queries(lambda: collect(big))
