"""Sync where rows move: values handed from one row to another, rows made again at the
source, rows changed here, needed rows found again."""

from __future__ import annotations

from typing import Any

import pytest

from django_graft.exceptions import ConflictError
from tests.importer.syncing import OTHER, check_tree, sync
from tests.importer.tables import archive_of as archive
from tests.oracle import snapshot
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db(databases=["default", "other"])


def test_a_row_changed_here_that_the_source_did_not_change_stays_as_it_is(
    world: World,
) -> None:
    """syncing.md: a row from a record the source did not change is left alone, unread;
    this database's change to it stays, and is no conflict (nothing is written over it)."""
    first = sync(archive(world.org))
    project = world.projects[0]
    here = first.key_map["testapp.project"][project.pk]
    m.Project.objects.using(OTHER).filter(pk=here).update(name="changed in the target")
    result = sync(archive(world.org))
    assert result.conflicts == [] and result.models["testapp.project"].unchanged == 2
    assert m.Project.objects.using(OTHER).get(pk=here).name == "changed in the target"
    # Once the source changes the row too, the change made here is a conflict.
    m.Project.objects.filter(pk=project.pk).update(name="changed at the source")
    with pytest.raises(ConflictError, match="changed in database 'other' since the last sync"):
        sync(archive(world.org))


def test_a_needed_row_found_through_the_ledger_is_the_row_found_before(world: World) -> None:
    """The people are in the target before the first sync (matched by natural key). The
    target renames one: the next sync finds it through the ledger, the row it matched
    before, and every link of the tree stays on it; no second person is made."""
    for person in m.Person.objects.order_by("pk"):
        m.Person.objects.using(OTHER).create(username=person.username)
    first = sync(archive(world.org))
    renamed = m.Person.objects.using(OTHER).get(username="person2")
    m.Person.objects.using(OTHER).filter(pk=renamed.pk).update(username="renamed here")
    people = m.Person.objects.using(OTHER).count()
    result = sync(archive(world.org))
    assert m.Person.objects.using(OTHER).count() == people
    source = m.Person.objects.get(username="person2")
    assert result.key_map["testapp.person"][source.pk] == renamed.pk
    assert first.key_map["testapp.person"][source.pk] == renamed.pk
    assert result.created == 0 and result.conflicts == []


def test_an_adopted_row_changed_while_the_sync_runs_refuses_it(world: World) -> None:
    """An adopted row is overwritten like an updated one, but it is not locked nor
    checked again before the writes: this database's change made meanwhile is lost."""
    project = world.projects[0]
    first = sync(archive(world.org))
    old = m.Membership.objects.filter(project=project).order_by("pk").first()
    assert old is not None
    here = first.key_map["testapp.membership"][old.pk]
    person_id = old.person_id
    old.delete()
    m.Membership.objects.create(project=project, person_id=person_id, role="lead")
    data = archive(world.org)

    def meanwhile(intent: Any) -> None:
        m.Membership.objects.using(OTHER).filter(pk=here).update(role="changed meanwhile")

    with pytest.raises(ConflictError, match="changed while the sync ran"):
        sync(data, authorise=meanwhile)


def _move_membership(world: World) -> tuple[m.Project, m.Person]:
    """At the source: a membership moves to another person, a new one takes its place."""
    project = world.projects[0]
    moved = m.Membership.objects.filter(project=project).order_by("pk").first()
    assert moved is not None
    members = set(project.memberships.values_list("person_id", flat=True))
    other = next(p for p in world.people if p.pk not in members)
    person = moved.person
    m.Membership.objects.filter(pk=moved.pk).update(person=other)
    m.Membership.objects.create(project=project, person=person, role="new")
    return project, person


def test_a_unique_value_moved_to_a_new_row_at_the_source_is_no_conflict(world: World) -> None:
    """Only the source changed: the old row is updated (freeing the value), the new row
    created. The sync compares the new row with the rows as they are before its own
    updates, and calls it a conflict with the row it is about to update."""
    before = snapshot(OTHER)
    sync(archive(world.org))
    _move_membership(world)
    result = sync(archive(world.org))
    assert result.conflicts == []
    assert check_tree(world.org, result, before) == []


def test_on_conflict_update_does_not_merge_two_source_rows_into_one(world: World) -> None:
    """The same, with --on-conflict update: the new row is written over the row the
    moved one is synced to, both archive rows land on one row, and one is lost."""
    before = snapshot(OTHER)
    sync(archive(world.org))
    _move_membership(world)
    result = sync(archive(world.org), on_conflict="update")
    images = list(result.key_map["testapp.membership"].values())
    assert len(images) == len(set(images)), "two archive rows share one row here"
    assert check_tree(world.org, result, before) == []


def test_a_recreated_row_settled_by_update_is_the_syncs_afterwards(world: World) -> None:
    """A row re-created at the source whose old row was changed here: a conflict, which
    --on-conflict update settles by overwriting the old row. After that, the row is the
    sync's: the same archive syncs with no conflict, and a prune keeps it."""
    project = world.projects[0]
    first = sync(archive(world.org))
    old = m.Membership.objects.filter(project=project).order_by("pk").first()
    assert old is not None
    here = first.key_map["testapp.membership"][old.pk]
    m.Membership.objects.using(OTHER).filter(pk=here).update(role="changed here")
    person_id = old.person_id
    old.delete()
    m.Membership.objects.create(project=project, person_id=person_id, role="lead")
    data = archive(world.org)
    with pytest.raises(ConflictError):
        sync(data)
    settled = sync(data, on_conflict="update")
    assert settled.conflicts
    assert sync(data).conflicts == []
    sync(data, prune=True)
    assert m.Membership.objects.using(OTHER).get(pk=here).role == "lead"
