"""A copy made with keep_in_step is brought in step by clone(sync_into=...), not copied again."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from django_graft import ConflictError, PolicyError, SpecError, clone
from django_graft.models import GraftLedgerEntry
from tests.snapshots import every_table
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db

NAMES = {"testapp.Organisation.name": lambda row: f"{row['name']} (copy)"}


def _copy_of(world: World, **options: Any) -> Any:
    return clone(world.org, set_fields=NAMES, keep_in_step=True, **options)


def test_the_copy_follows_what_the_template_changed_added_and_dropped(world: World) -> None:
    first = _copy_of(world)
    copy = first.roots[0]
    organisations = m.Organisation.objects.count()
    project = world.org.projects.order_by("pk").first()
    assert project is not None
    dropped = project.milestones.order_by("pk").first()
    assert dropped is not None
    m.Project.objects.filter(pk=project.pk).update(name="renamed in the template")
    m.Milestone.objects.create(project=project, title="added in the template")
    m.Contract.objects.filter(milestone=dropped).delete()
    m.Project.objects.filter(current_milestone=dropped).update(current_milestone=None)
    m.Milestone.objects.filter(pk=dropped.pk).delete()

    second = clone(world.org, set_fields=NAMES, sync_into=copy, prune=True)

    assert m.Organisation.objects.count() == organisations  # no second copy
    assert second.roots[0].pk == copy.pk
    copied = m.Project.objects.get(pk=first.copies["testapp.project"][project.pk])
    assert copied.name == "renamed in the template"
    assert copied.organisation_id == copy.pk
    titles = set(copied.milestones.values_list("title", flat=True))
    assert "added in the template" in titles
    assert dropped.title not in titles or copied.milestones.filter(title=dropped.title).count() < 2
    assert not m.Milestone.objects.filter(pk=first.copies["testapp.milestone"][dropped.pk]).exists()
    assert second.models["testapp.project"].updated == 1
    assert second.models["testapp.milestone"].created == 1
    assert second.models["testapp.milestone"].pruned == 1
    # Again: nothing to do.
    before = every_table()
    third = clone(world.org, set_fields=NAMES, sync_into=copy)
    assert third.created == 0 and sum(r.updated for r in third.models.values()) == 0
    assert every_table() == before


def test_two_copies_of_one_template_are_kept_apart(world: World) -> None:
    first = _copy_of(world)
    other = clone(
        world.org,
        set_fields={"testapp.Organisation.name": lambda row: f"{row['name']} (second)"},
        keep_in_step=True,
    )
    project = world.org.projects.order_by("pk").first()
    assert project is not None
    m.Project.objects.filter(pk=project.pk).update(name="changed")
    clone(world.org, set_fields=NAMES, sync_into=first.roots[0])
    assert m.Project.objects.get(pk=first.copies["testapp.project"][project.pk]).name == "changed"
    assert m.Project.objects.get(pk=other.copies["testapp.project"][project.pk]).name != "changed"


def test_a_row_the_copy_changed_is_a_conflict_and_nothing_is_written(world: World) -> None:
    first = _copy_of(world)
    project = world.org.projects.order_by("pk").first()
    assert project is not None
    mine = first.copies["testapp.project"][project.pk]
    m.Project.objects.filter(pk=mine).update(name="changed in the copy")
    m.Project.objects.filter(pk=project.pk).update(name="changed in the template")
    before = every_table()
    with pytest.raises(ConflictError, match=f"testapp.project {project.pk}"):
        clone(world.org, set_fields=NAMES, sync_into=first.roots[0])
    assert every_table() == before
    kept = clone(world.org, set_fields=NAMES, sync_into=first.roots[0], on_conflict="skip")
    assert kept.models["testapp.project"].skipped == 1
    assert m.Project.objects.get(pk=mine).name == "changed in the copy"


def test_a_row_not_kept_in_step_cannot_be_synced_into(world: World) -> None:
    plain = clone(world.org, set_fields=NAMES)
    before = every_table()
    ledger = GraftLedgerEntry.objects.count()
    with pytest.raises(SpecError, match=r"is no copy of testapp\.organisation"):
        clone(world.org, set_fields=NAMES, sync_into=plain.roots[0])
    assert every_table() == before
    assert GraftLedgerEntry.objects.count() == ledger == 0


def test_the_command_keeps_a_copy_in_step(world: World) -> None:
    from io import StringIO

    from django.core.management import call_command

    root = f"testapp.Organisation:{world.org.pk}"
    name = "--set=testapp.Organisation.name=Kept copy"
    out = StringIO()
    call_command("graft_clone", root, name, "--keep-in-step", stdout=out)
    copy = m.Organisation.objects.get(name="Kept copy")
    m.Project.objects.filter(organisation=world.org).update(name="renamed")
    out = StringIO()
    call_command("graft_clone", root, name, "--sync-into", str(copy.pk), stdout=out)
    assert out.getvalue().splitlines()[-1] == (
        f"Brought testapp.organisation:{copy.pk} in step in 'default': 0 rows created, "
        f"{world.org.projects.count()} updated, 0 pruned."
    )
    assert set(copy.projects.values_list("name", flat=True)) == {"renamed"}


def _drop_a_project(world: World) -> tuple[Any, Any]:
    """A copy kept in step, then the template's last project dropped; its copy's key."""
    first = _copy_of(world)
    project = world.org.projects.order_by("pk").last()
    assert project is not None
    m.Contract.objects.filter(project=project).delete()
    m.Contract.objects.filter(milestone__project=project).delete()
    m.Project.objects.filter(pk=project.pk).delete()
    return first, first.copies["testapp.project"][project.pk]


def test_a_dropped_row_the_copy_changed_is_a_conflict_for_the_prune(world: World) -> None:
    first, mine = _drop_a_project(world)
    m.Project.objects.filter(pk=mine).update(name="my local edits")
    before = every_table()
    with pytest.raises(ConflictError, match=f"its row {mine!r} here was changed"):
        clone(world.org, set_fields=NAMES, sync_into=first.roots[0], prune=True)
    assert every_table() == before
    kept = clone(
        world.org, set_fields=NAMES, sync_into=first.roots[0], prune=True, on_conflict="skip"
    )
    assert kept.models["testapp.project"].skipped == 1
    assert m.Project.objects.get(pk=mine).name == "my local edits"


def test_a_prune_never_takes_a_row_moved_to_another_copy(world: World) -> None:
    first, mine = _drop_a_project(world)
    other = clone(world.org, set_fields={"testapp.Organisation.name": "Other copy"})
    m.Project.objects.filter(pk=mine).update(organisation=other.roots[0])
    with pytest.raises(ConflictError):
        clone(world.org, set_fields=NAMES, sync_into=first.roots[0], prune=True)
    clone(world.org, set_fields=NAMES, sync_into=first.roots[0], prune=True, on_conflict="skip")
    assert m.Project.objects.get(pk=mine).organisation_id == other.roots[0].pk


@pytest.mark.parametrize(
    "options",
    [{"prune": True}, {"on_conflict": "skip"}, {"keep_in_step": True, "on_conflict": "Update"}],
)
def test_options_of_a_copy_kept_in_step_are_refused_elsewhere(
    world: World, options: dict[str, Any]
) -> None:
    before = every_table()
    with pytest.raises(PolicyError):
        clone(world.org, set_fields=NAMES, **options)
    assert every_table() == before


def test_sync_into_that_names_no_row_is_refused_by_name(world: World) -> None:
    with pytest.raises(SpecError, match="sync_into is 42"):
        clone(world.org, set_fields=NAMES, sync_into=42)


def test_roots_and_copies_in_another_order_name_the_same_copy(world: World) -> None:
    other_org = m.Organisation.objects.exclude(pk=world.org.pk).order_by("pk").first()
    assert other_org is not None
    first = clone([world.org, other_org], set_fields=NAMES, keep_in_step=True)
    copy_a, copy_b = first.roots
    again = clone([other_org, world.org], set_fields=NAMES, sync_into=[copy_b, copy_a])
    assert again.created == 0


def _tag_links(project_pk: Any) -> dict[Any, Any]:
    """{link row's key: tag's key} of a project's tags, by plain SQL."""
    table = connection.ops.quote_name(m.Project.tags.through._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, tag_id FROM {table} WHERE project_id = %s", [project_pk])
        return dict(cursor.fetchall())


def test_a_link_made_again_at_the_template_is_among_the_copies(
    world: World, keys_placed: None
) -> None:
    # The copy holds that link already: the sync matches it, and it is still a copy.
    first = clone(world.org, set_fields=NAMES, keep_in_step=True)
    project = world.org.projects.order_by("pk").first()
    assert project is not None
    tag = project.tags.order_by("pk").first()
    assert tag is not None
    project.tags.remove(tag)
    project.tags.add(tag)
    (new_link,) = [key for key, tag_pk in _tag_links(project.pk).items() if tag_pk == tag.pk]
    second = clone(world.org, set_fields=NAMES, sync_into=first.roots[0], prune=True)
    copied_project = first.copies["testapp.project"][project.pk]
    (copy_link,) = [key for key, tag_pk in _tag_links(copied_project).items() if tag_pk == tag.pk]
    links = second.copies["testapp.project_tags"]
    owned = m.Project.tags.through.objects.filter(project__organisation=world.org)
    assert set(links) == set(owned.values_list("pk", flat=True))
    assert links[new_link] == copy_link
