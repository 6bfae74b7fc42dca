"""The private queryset parts ``django_graft.db.queryset`` stands on, checked against Django."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.core import serializers
from django.db.models import signals

from django_graft.db.queryset import (
    attach_prefetched,
    cache_related,
    insert_rows,
    is_prefetched,
    raw_delete,
)
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db


def test_raw_delete_deletes_in_one_statement_without_signals(
    world: World, django_assert_num_queries: Any
) -> None:
    tags = m.Tag.objects.bulk_create([m.Tag(name="x1"), m.Tag(name="x2")])
    heard: list[Any] = []

    def receiver(**kwargs: Any) -> None:
        heard.append(kwargs)

    signals.pre_delete.connect(receiver, sender=m.Tag)
    try:
        with django_assert_num_queries(1):
            count = raw_delete(m.Tag.objects.filter(pk__in=[t.pk for t in tags]), "default")
    finally:
        signals.pre_delete.disconnect(receiver, sender=m.Tag)
    assert count == 2 and heard == []
    assert not m.Tag.objects.filter(name__in=["x1", "x2"]).exists()


def test_insert_rows_writes_plain_objects_and_returns_keys(world: World) -> None:
    name = m.Tag._meta.get_field("name")
    rows = [SimpleNamespace(name="y1"), SimpleNamespace(name="y2")]
    returned = insert_rows(m.Tag._base_manager, rows, [name], "default", [m.Tag._meta.pk])
    stored = dict(m.Tag.objects.filter(name__in=["y1", "y2"]).values_list("name", "pk"))
    assert [row[0] for row in returned] == [stored["y1"], stored["y2"]]
    assert insert_rows(m.Tag._base_manager, [SimpleNamespace(name="y3")], [name], "default") == []
    assert m.Tag.objects.filter(name="y3").exists()


def test_attached_links_are_what_the_serializers_write_without_a_query(
    world: World, django_assert_num_queries: Any
) -> None:
    project = m.Project.objects.get(pk=world.projects[0].pk)
    chosen = list(m.Tag.objects.order_by("pk")[:1])
    assert not is_prefetched(project, "tags")
    attach_prefetched(project, "tags", chosen)
    assert is_prefetched(project, "tags")
    with django_assert_num_queries(0):
        (written,) = serializers.serialize("python", [project], fields=["tags"])
    assert written["fields"]["tags"] == [chosen[0].pk]


def test_a_cached_target_is_read_without_a_query(
    world: World, django_assert_num_queries: Any
) -> None:
    project = m.Project.objects.get(pk=world.projects[0].pk)
    lead = m.Person(pk=project.lead_id, username="cached")
    cache_related(m.Project._meta.get_field("lead"), project, lead)
    with django_assert_num_queries(0):
        assert project.lead is lead
