"""Generic foreign keys followed by joins from key tables: every kind of target, missing ones."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.test import override_settings

from django_graft import Policy, collect
from tests.testapp import constructs as c
from tests.testapp import models as m
from tests.tree.test_server_walk import key_sets

pytestmark = pytest.mark.django_db


def compare(roots: Any, policy: Policy | None = None, *, keys: bool = True) -> None:
    """counts and warnings first; ``keys``: the key sets too.

    (A table's keys are read back by joining the model's rows, so a table holding
    a missing key reads as without it: ``keys=False`` where such a key is kept.)
    """
    with transaction.atomic():
        in_python = collect(roots, policy=policy)
    with transaction.atomic():
        in_tables = collect(roots, policy=policy, server_side_keys=1)
        try:
            assert in_tables.counts() == in_python.counts()
            assert in_tables.warnings == in_python.warnings
            if keys:
                assert key_sets(in_tables) == key_sets(in_python)
        finally:
            in_tables.close()


MISSING_TASK = 987_654


def test_a_missing_target_warned_of_is_needed_when_a_plain_link_reaches_it(
    db: None,
) -> None:
    """A missing Task found by a generic foreign key, then by a ForeignKey(db_constraint=False).

    The owner's bookmarks name the task: the walk warns of it once and leaves it out.
    Later the audits of the owner's project point at it by a link without a
    constraint, which no walk checks: the task is needed, as in Python, and not
    warned of again.
    """
    owner = m.Person.objects.create(username="owner")
    lead = m.Person.objects.create(username="lead")
    org = m.Organisation.objects.create(name="org")
    project = m.Project.objects.create(organisation=org, name="p", lead=lead)
    m.Membership.objects.create(project=project, person=owner)
    task_ct = ContentType.objects.get_for_model(m.Task)
    for _ in range(2):
        m.Bookmark.objects.create(owner=owner, content_type=task_ct, object_id=MISSING_TASK)
    for _ in range(2):
        m.Audit.objects.create(project=project, task_id=MISSING_TASK)
    policy = Policy(
        edges={
            "testapp.Bookmark.target": "own",
            "testapp.Membership.project": "own",
            "testapp.Project.audits": "own",
        }
    )
    compare(owner, policy, keys=False)


def test_links_to_an_uninstalled_content_type_are_warned_of_once(db: None) -> None:
    """Once per edge and content type, however many batches of rows name it."""
    owner = m.Person.objects.create(username="owner")
    gone = ContentType.objects.create(app_label="gone", model="thing")
    for key in (1, 2):
        m.Bookmark.objects.create(owner=owner, content_type=gone, object_id=key)
    with override_settings(GRAFT={"BATCH_SIZE": 1}):
        compare(owner)
        graph = collect(owner)
    assert len([w for w in graph.warnings if "content type" in w]) == 1


# -- generic targets of every kind, reverse edges at the limit --------------------


def bookmarks_everywhere() -> m.Person:
    """An owner whose bookmarks name every odd kind of generic target."""
    owner: m.Person = m.Person.objects.create(username="owner")
    lead = m.Person.objects.create(username="lead")
    org = m.Organisation.objects.create(name="org")
    project = m.Project.objects.create(organisation=org, name="p", lead=lead)
    task = m.Task.objects.create(project=project, title="t")
    ct = ContentType.objects.get_for_model
    targets: list[tuple[Any, Any]] = [
        (ct(m.Task), task.pk),
        (ct(m.Task), 987_654),  # missing
        (ct(m.Task), 0),
        (ct(m.ProxyPerson, for_concrete_model=False), lead.pk),  # a proxy's content type
        (ct(m.Person), lead.pk),
        (ct(m.ProxyPerson, for_concrete_model=False), 555_555),  # missing through a proxy
        (ct(m.Person), 555_555),
        (ct(m.Bookmark), 1),  # the source model itself
        (ct(m.Bookmark), 444_444),
        (ct(c.Car), 333_333),  # a multi-table child, missing
        (ct(c.Vehicle), 333_333),
        (ct(m.Project), project.pk),
        (ct(m.Task), None),
        (None, None),
    ]
    for content_type, key in targets:
        m.Bookmark.objects.create(owner=owner, content_type=content_type, object_id=key)
    return owner


@pytest.mark.parametrize("rule", ["need", "own"])
def test_generic_targets_of_every_kind(db: None, rule: str) -> None:
    owner = bookmarks_everywhere()
    compare(owner, Policy(edges={"testapp.Bookmark.target": rule}), keys=False)


@pytest.mark.parametrize("entries", [0, 1, 2, 3])
def test_a_reverse_edge_at_the_limit(db: None, entries: int) -> None:
    from tests.tree.test_server_walk_cases import catalogue_with

    catalogue = catalogue_with(entries)
    for limit in (1, 2, 3):
        with transaction.atomic():
            in_python = collect(catalogue)
            in_tables = collect(catalogue, server_side_keys=limit)
            try:
                assert key_sets(in_tables) == key_sets(in_python)
                assert in_tables.counts() == in_python.counts()
            finally:
                in_tables.close()
