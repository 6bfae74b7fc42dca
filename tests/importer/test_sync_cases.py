"""Sync on every construct of the zoo, and the hard cases of prune, re-created rows and a
damaged ledger."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import models as djm

from django_graft import collect
from django_graft.exceptions import GraftError, ImportRefused
from django_graft.models import GraftLedgerEntry
from tests.importer.syncing import OTHER, check_tree, ledger, sync
from tests.importer.tables import archive_of as archive
from tests.oracle import snapshot
from tests.roots import ROOT_NAMES, roots_of
from tests.snapshots import every_table
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db(databases=["default", "other"])


# -- a row deleted and re-created at the source with the same unique values --


def test_membership_recreated_at_source_survives_sync_with_prune(world: World) -> None:
    """Source deletes a membership and creates it again (same project, person): new key.

    The sync must end with the membership in the target."""
    project = world.projects[0]
    sync(archive(world.org))
    old = m.Membership.objects.filter(project=project).order_by("pk").first()
    assert old is not None
    person_id, role = old.person_id, old.role
    old.delete()
    new = m.Membership.objects.create(project=project, person_id=person_id, role="lead")
    before = snapshot(OTHER)
    result = sync(archive(world.org), prune=True, on_conflict="update")
    here_project = result.key_map["testapp.project"][project.pk]
    here_person = result.key_map["testapp.person"][person_id]
    assert (
        m.Membership.objects.using(OTHER)
        .filter(project_id=here_project, person_id=here_person)
        .exists()
    ), "the recreated membership was pruned away"
    assert new.pk in result.key_map["testapp.membership"]
    del before, role


def test_membership_recreated_at_source_syncs_without_on_conflict(world: World) -> None:
    """The same, with the default --on-conflict: the old row is due to be pruned,
    a sync with prune should not report a conflict with a row it is about to prune."""
    project = world.projects[0]
    sync(archive(world.org))
    old = m.Membership.objects.filter(project=project).order_by("pk").first()
    assert old is not None
    person_id = old.person_id
    old.delete()
    m.Membership.objects.create(project=project, person_id=person_id, role="lead")
    sync(archive(world.org), prune=True)


def test_m2m_link_removed_and_added_again_at_source_survives_sync(world: World) -> None:
    """project.tags.remove(t); project.tags.add(t) gives the link a new through key."""
    project = world.projects[0]
    sync(archive(world.org))
    tag = project.tags.order_by("pk").first()
    assert tag is not None
    project.tags.remove(tag)
    project.tags.add(tag)
    result = sync(archive(world.org), prune=True)
    here = m.Project.objects.using(OTHER).get(pk=result.key_map["testapp.project"][project.pk])
    assert here.tags.filter(name=tag.name).exists(), "the re-added tag link was pruned"


def test_update_of_unique_collision_does_not_adopt_a_target_row(world: World) -> None:
    """A row the sync did not create, colliding on a unique value with a new source row,
    is overwritten (--on-conflict update) and then entered in the ledger as the sync's own:
    a later prune deletes the target's own row."""
    project = world.projects[0]
    sync(archive(world.org))
    here_project = m.Project.objects.using(OTHER).get(name=project.name)
    # The target's own membership (not from a sync) of a person not yet a member.
    members = set(project.memberships.values_list("person_id", flat=True))
    person = next(p for p in world.people if p.pk not in members)
    here_person = m.Person.objects.using(OTHER).filter(username=person.username).first()
    if here_person is None:
        here_person = m.Person.objects.using(OTHER).create(username=person.username)
    own = m.Membership.objects.using(OTHER).create(
        project=here_project, person=here_person, role="target's own"
    )
    # The source adds the same membership, then removes it again.
    added = m.Membership.objects.create(project=project, person=person, role="member")
    sync(archive(world.org), on_conflict="update")
    added.delete()
    sync(archive(world.org), prune=True)
    assert m.Membership.objects.using(OTHER).filter(pk=own.pk).exists(), (
        "prune deleted a row the sync did not create"
    )


# -- every root of the zoo --------------------------------------------------


def _touch_source(root: Any) -> int:
    """Change one plain column of one owned row per model of the tree, at the source."""
    changed = 0
    for model, keys in collect(root).owned.items():
        if model._meta.auto_created or not keys:
            continue
        generic_ids = {getattr(g, "fk_field", None) for g in model._meta.private_fields}
        pk_parts = {f.name for f in getattr(model._meta.pk, "fields", [])}
        for rel in model._meta.get_fields():
            columns = getattr(rel, "local_related_fields", None)
            if rel.is_relation and columns and not rel.concrete:
                pk_parts |= {f.name for f in columns}  # a ForeignObject's columns
        for f in model._meta.local_concrete_fields:
            if (
                f.primary_key
                or f.is_relation
                or f.unique
                or f.choices
                or f.name in generic_ids | pk_parts
            ):
                continue
            if getattr(f, "generated", False):
                continue
            key = sorted(keys, key=repr)[0]
            value: Any
            if isinstance(f, djm.CharField | djm.TextField) and not isinstance(
                f, djm.EmailField | djm.GenericIPAddressField
            ):
                value = "src-" + str(changed)
            elif isinstance(f, djm.IntegerField) and not isinstance(f, djm.AutoField):
                value = 7 + changed
            else:
                continue
            model._base_manager.filter(pk=key).update(**{f.attname: value})
            changed += 1
            break
    return changed


def _writes(result: Any) -> list[tuple[str, int, int, int]]:
    return [
        (label, r.created, r.updated, r.pruned)
        for label, r in result.models.items()
        if r.created or r.updated or r.pruned
    ]


@pytest.mark.parametrize("name", ROOT_NAMES)
def test_every_root_a_second_sync_of_the_same_archive_writes_nothing(
    world: World, name: str, keys_placed: None
) -> None:
    """docs/reference/syncing.md: 'Importing the same archive twice writes nothing the
    second time, and says so.'"""
    root = roots_of(world)[name]
    before = snapshot(OTHER)
    first = sync(archive(root))
    assert check_tree(root, first, before) == []
    tables = every_table(OTHER), ledger()
    again = sync(archive(root))
    assert _writes(again) == [] and again.conflicts == []
    assert (every_table(OTHER), ledger()) == tables


@pytest.mark.parametrize("name", ROOT_NAMES)
def test_every_root_syncs_a_source_change_then_writes_nothing(world: World, name: str) -> None:
    root = roots_of(world)[name]
    before = snapshot(OTHER)
    sync(archive(root))
    _touch_source(root)
    second = sync(archive(root), prune=True)
    assert second.conflicts == []
    assert check_tree(root, second, before) == []
    tables = every_table(OTHER), ledger()
    third = sync(archive(root), prune=True)
    assert _writes(third) == [] and third.conflicts == []
    assert (every_table(OTHER), ledger()) == tables


def test_person_root_second_sync_of_unchanged_archive_is_refused(world: World) -> None:
    """A needed row with a unique field (Organisation.name) the first sync created is not
    found again: the second sync of the very same archive fails with a ConflictError."""
    root = roots_of(world)["person (no project led)"]
    sync(archive(root))
    sync(archive(root))  # ConflictError: organisation name='Globex' already taken


def test_tag_root_second_sync_leaves_links_at_stale_rows(world: World) -> None:
    """Owned rows of the tag tree (project_tags, TaskTag) link to needed rows; a second sync
    of the same archive re-creates needed rows and leaves owned rows pointing at the old
    copies (or claims they are unchanged): the oracle finds the tree wrong."""
    root = world.tags[0]
    before = snapshot(OTHER)
    sync(archive(root))
    second = sync(archive(root))
    assert check_tree(root, second, before) == []


def test_to_field_and_foreign_object_rows_are_rewritten_on_every_sync(world: World) -> None:
    root = roots_of(world)["label (self link by to_field)"]
    sync(archive(root))
    entries = ledger()
    again = sync(archive(root))
    assert again.models["testapp.label"].updated == 0  # fails: 1 'updated', nothing changed
    assert ledger() == entries


# -- prune ------------------------------------------------------------------


def test_a_prune_that_would_take_a_parent_the_archive_holds_is_refused(world: World) -> None:
    """The source removes only the Restaurant part of a place (keep_parents=True). Deleting
    the copy's Restaurant would delete its Place, which the archive holds: refused, nothing
    written (a prune has no keep_parents)."""
    restaurant = m.Restaurant.objects.filter(italianrestaurant=None).first()
    assert restaurant is not None
    org = restaurant.organisation
    first = sync(archive(org))
    place_here = first.key_map["testapp.place"][restaurant.pk]
    restaurant.delete(keep_parents=True)
    data = archive(org)
    before = every_table(OTHER), ledger()
    with pytest.raises(ImportRefused, match=rf"testapp\.place {place_here}"):
        sync(data, prune=True)
    assert (every_table(OTHER), ledger()) == before
    sync(data)  # without --prune: the place is synced, the restaurant left
    assert m.Place.objects.using(OTHER).filter(pk=place_here).exists()


def test_a_row_gaining_a_multi_table_child_at_the_source(world: World) -> None:
    place = m.Place.objects.filter(restaurant=None).first()
    assert place is not None
    org = place.organisation
    before = snapshot(OTHER)
    first = sync(archive(org))
    child = m.Restaurant(place_ptr=place, serves_pizza=True)
    child.save_base(raw=True)
    result = sync(archive(org), prune=True)
    assert check_tree(org, result, before) == []
    here = first.key_map["testapp.place"][place.pk]
    assert m.Restaurant.objects.using(OTHER).filter(pk=here, serves_pizza=True).exists()


def test_a_prune_that_would_take_a_skipped_row_with_it_is_refused(world: World) -> None:
    """The target edits a subtask (a conflict, --on-conflict skip keeps it); the source moves
    the subtask under another task and deletes the old parent. Pruning the old parent's copy
    would take the subtask the archive still holds: refused, nothing written."""
    project = world.projects[0]
    org = world.org
    first = sync(archive(org))
    parent = m.Task.objects.filter(project=project, parent=None).exclude(subtasks=None).first()
    other = m.Task.objects.filter(project=project, parent=None).exclude(pk=parent.pk).first()
    sub = parent.subtasks.order_by("pk").first()
    here = first.key_map["testapp.task"][sub.pk]
    m.Task.objects.using(OTHER).filter(pk=here).update(title="edited in the target")
    m.Task.objects.filter(parent=parent).update(parent=other)
    m.Task.objects.filter(blocked_by=parent).update(blocked_by=None)
    m.Task.objects.filter(pk=parent.pk).delete()
    data = archive(org)
    before = every_table(OTHER), ledger()
    with pytest.raises(ImportRefused, match=rf"testapp\.task {here}"):
        sync(data, prune=True, on_conflict="skip")
    assert (every_table(OTHER), ledger()) == before
    result = sync(data, prune=True, on_conflict="update")
    assert (
        m.Task.objects.using(OTHER).get(pk=here).parent_id
        == (result.key_map["testapp.task"][other.pk])
    )


def test_dry_run_prune_counts_what_the_sync_prunes(world: World) -> None:
    """Source moves a task's subtasks to another task and deletes the task: the dry run
    (which prunes before any write) counts the moved subtasks as pruned by cascade."""
    project = world.projects[0]
    org = world.org
    sync(archive(org))
    parent = m.Task.objects.filter(project=project, parent=None).exclude(subtasks=None).first()
    other = m.Task.objects.filter(project=project, parent=None).exclude(pk=parent.pk).first()
    m.Task.objects.filter(parent=parent).update(parent=other)
    m.Task.objects.filter(blocked_by=parent).update(blocked_by=None)
    m.Task.objects.filter(pk=parent.pk).delete()
    data = archive(org)
    planned = sync(data, prune=True, dry_run=True)
    done = sync(data, prune=True)
    assert {k: r.pruned for k, r in planned.models.items() if r.pruned} == {
        k: r.pruned for k, r in done.models.items() if r.pruned
    }


# -- ledger corruption --------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "bad"),
    [
        *(("target_key", bad) for bad in ["not json", '"text"', "[1, 2]", "{}", "null", "1e400"]),
        *(("source_key", bad) for bad in ["not json", '"text"', "[1, 2]", "{}"]),
    ],
)
def test_a_damaged_ledger_entry_is_refused_by_name(world: World, column: str, bad: str) -> None:
    sync(archive(world.org))
    entry = GraftLedgerEntry.objects.using(OTHER).filter(model="testapp.task").first()
    assert entry is not None
    GraftLedgerEntry.objects.using(OTHER).filter(pk=entry.pk).update(**{column: bad})
    before = every_table(OTHER), ledger()
    with pytest.raises(ImportRefused, match="sync ledger"):
        sync(archive(world.org), prune=True)
    assert (every_table(OTHER), ledger()) == before


def test_prune_of_a_row_both_sides_deleted(world: World) -> None:
    """The target deletes a synced task; the source deletes it too. The prune has nothing
    to delete and should forget the entry, not refuse the sync."""
    first = sync(archive(world.org))
    task = m.Task.objects.filter(subtasks=None, project=world.projects[0]).order_by("-pk").first()
    here = first.key_map["testapp.task"][task.pk]
    m.Task.objects.using(OTHER).filter(pk=here).delete()
    m.Task.objects.filter(pk=task.pk).delete()
    result = sync(archive(world.org), prune=True)
    assert result.conflicts == []
    assert (
        not GraftLedgerEntry.objects.using(OTHER)
        .filter(model="testapp.task", target_key=str(here))
        .exists()
    )


# -- re-sealed (this installation's signature) archives -------------------------


def test_a_row_the_archive_now_calls_needed_is_not_pruned_from_under_it(world: World) -> None:
    """A re-sealed archive of the same tree marks an owned Person-led project's milestone
    as needed (its role 'need'): the prune deletes the milestone's copy, which the archive
    still holds and other rows of it point at, and the key map claims an image that does
    not exist."""
    from tests.importer.tables import rewrite

    first = sync(archive(world.org))
    milestone = m.Milestone.objects.order_by("pk").first()
    here = first.key_map["testapp.milestone"][milestone.pk]

    def change(header: dict, items: list) -> tuple:  # type: ignore[type-arg]
        for item in items:
            if item.get("model") == "testapp.milestone" and item.get("pk") == milestone.pk:
                item["role"] = "need"
        return header, items

    forged = rewrite(archive(world.org), change)
    try:
        result = sync(forged, prune=True)
    except GraftError:
        return  # refused by name: fine
    image = result.key_map["testapp.milestone"][milestone.pk]
    assert m.Milestone.objects.using(OTHER).filter(pk=image).exists(), (
        f"the key map names milestone {image}, which the prune deleted (was {here})"
    )
