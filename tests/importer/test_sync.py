"""A sync keeps a copy of a tree in step with its source, through the ledger in the target.

The verdict comes from the oracle (Django's serializers and the ORM): after
a sync, the target holds the source's tree as it is now, each row at the
image the sync claims, and every row it held before (its own, not the
sync's) as it was.
"""

from __future__ import annotations

import io
import json
from functools import partial
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from django_graft import collect, import_archive
from django_graft.exceptions import (
    ConflictError,
    DeleteBlocked,
    ImportRefused,
    PolicyError,
    UntrustedArchive,
)
from django_graft.models import GraftInstallation, GraftLedgerEntry
from tests.importer.syncing import OTHER, ledger, sync
from tests.importer.tables import archive_of as archive
from tests.oracle import Verifier, snapshot
from tests.queries import count_queries
from tests.snapshots import every_table
from tests.testapp import models as m
from tests.testapp.world import World, build_tenant

pytestmark = pytest.mark.django_db(databases=["default", "other"])


def unchanged_everywhere() -> tuple[Any, Any]:
    return every_table(OTHER), ledger()


def change_the_source(world: World) -> dict[str, Any]:
    """Rename a project, add a task, delete a task: what a source does between syncs."""
    project = world.projects[0]
    m.Project.objects.filter(pk=project.pk).update(name="renamed at the source")
    gone = m.Task.objects.filter(project=project, subtasks=None).order_by("-pk").first()
    assert gone is not None
    m.Task.objects.filter(pk=gone.pk).delete()
    added = m.Task.objects.create(project=project, title="added at the source")
    return {"project": project, "added": added, "gone": gone.title, "gone_pk": gone.pk}


def test_a_second_sync_of_the_same_archive_writes_nothing(world: World) -> None:
    data = archive(world.org)
    first = sync(data)
    assert first.created > 0
    before = unchanged_everywhere()
    again = sync(data)
    assert unchanged_everywhere() == before
    assert again.created == 0 and again.conflicts == []
    assert all(r.updated == r.skipped == r.pruned == 0 for r in again.models.values())
    owned = sum(len(keys) for keys in collect(world.org).owned.values())
    assert sum(r.unchanged for r in again.models.values()) == owned
    # The copy is the one the first sync made, not a second one.
    assert m.Organisation.objects.using(OTHER).filter(name=world.org.name).count() == 1


def test_a_sync_brings_changes_additions_and_removals(world: World) -> None:
    before = snapshot(OTHER)
    first = sync(archive(world.org))
    changes = change_the_source(world)
    result = sync(archive(world.org), prune=True)
    assert result.models["testapp.project"].updated == 1
    assert result.models["testapp.task"].created == 1
    assert result.models["testapp.task"].pruned == 1  # and its tags, through rows of its own
    graph = collect(world.org)
    # Every row of the tree as the source has it now, at the images the sync claims;
    # the pruned task is gone; the target's other rows are as they were.
    problems = Verifier("default", OTHER, result.key_map).verify(graph.owned, graph.needed, before)
    assert problems == []
    tasks = m.Task.objects.using(OTHER).filter(project__name="renamed at the source")
    assert tasks.filter(title="added at the source").exists()
    gone = first.key_map["testapp.task"][changes["gone_pk"]]
    assert not m.Task.objects.using(OTHER).filter(pk=gone).exists()
    entries = GraftLedgerEntry.objects.using(OTHER).filter(model="testapp.task")
    assert not entries.filter(target_key=str(gone)).exists()


def test_a_sync_never_touches_rows_it_did_not_create(world: World) -> None:
    sync(archive(world.org))
    # Rows of the target's own, beside the copy and pointing into it.
    lead = m.Person.objects.using(OTHER).order_by("pk").first()
    own = m.Organisation.objects.using(OTHER).create(name="Target's own")
    project = m.Project.objects.using(OTHER).create(
        organisation=own, name=world.projects[0].name, lead=lead
    )
    m.Task.objects.using(OTHER).create(project=project, title="the target's own task")
    copied = m.Project.objects.using(OTHER).exclude(organisation=own).first()
    m.Contract.objects.using(OTHER).create(project=copied)
    mine = {
        name: rows
        for name, rows in snapshot(OTHER).items()
        if name in {"testapp.organisation", "testapp.task", "testapp.contract"}
    }
    change_the_source(world)
    sync(archive(world.org), prune=True)
    after = snapshot(OTHER)
    assert after["testapp.organisation"][own.pk] == mine["testapp.organisation"][own.pk]
    for name in ("testapp.task", "testapp.contract"):
        theirs = {k: v for k, v in mine[name].items() if v.get("project") in (project.pk,)}
        theirs |= {k: v for k, v in mine[name].items() if name == "testapp.contract"}
        assert all(after[name].get(k) == v for k, v in theirs.items()), name


def test_a_row_changed_here_since_the_last_sync_is_a_conflict(world: World) -> None:
    result = sync(archive(world.org))
    project = world.projects[0]
    here = result.key_map["testapp.project"][project.pk]
    m.Project.objects.using(OTHER).filter(pk=here).update(name="changed in the target")
    m.Project.objects.filter(pk=project.pk).update(name="changed at the source")
    data = archive(world.org)
    before = unchanged_everywhere()
    with pytest.raises(ConflictError) as info:
        sync(data)
    (conflict,) = info.value.conflicts
    assert "changed in database 'other' since the last sync" in str(conflict)
    assert "differs in name" in str(conflict)
    assert unchanged_everywhere() == before
    kept = sync(data, on_conflict="skip")
    assert kept.models["testapp.project"].skipped == 1
    assert m.Project.objects.using(OTHER).get(pk=here).name == "changed in the target"
    # Skipped, the row stays a conflict until the sync is told what to do with it.
    with pytest.raises(ConflictError):
        sync(data)
    overwritten = sync(data, on_conflict="update")
    assert overwritten.models["testapp.project"].updated == 1
    assert m.Project.objects.using(OTHER).get(pk=here).name == "changed at the source"
    assert sync(data).conflicts == []


def test_a_row_deleted_here_is_a_conflict_that_update_creates_again(world: World) -> None:
    result = sync(archive(world.org))
    note = m.Note.objects.filter(object_id=str(world.org.pk)).order_by("pk").first()
    assert note is not None
    here = result.key_map["testapp.note"][note.pk]
    m.Note.objects.using(OTHER).filter(pk=here).delete()
    data = archive(world.org)
    before = unchanged_everywhere()
    with pytest.raises(ConflictError, match="deleted in database 'other' since the last sync"):
        sync(data)
    with pytest.raises(ConflictError, match="deleted in database 'other'"):
        sync(data, on_conflict="skip")
    assert unchanged_everywhere() == before
    again = sync(data, on_conflict="update")
    assert again.models["testapp.note"].created == 1
    assert m.Note.objects.using(OTHER).filter(text=note.text).exists()
    assert sync(data).conflicts == []


def test_a_local_change_while_the_sync_runs_refuses_it(world: World) -> None:
    result = sync(archive(world.org))
    project = world.projects[0]
    here = result.key_map["testapp.project"][project.pk]
    m.Project.objects.filter(pk=project.pk).update(name="changed at the source")
    data = archive(world.org)
    before = unchanged_everywhere()

    def meanwhile(intent: Any) -> None:
        # Planned, not yet written: this database changes the row the sync will update.
        m.Project.objects.using(OTHER).filter(pk=here).update(name="changed meanwhile")

    with pytest.raises(ConflictError, match="changed while the sync ran"):
        sync(data, authorise=meanwhile)
    assert unchanged_everywhere() == before


def test_a_prune_that_rows_forbid_refuses_the_whole_sync(world: World) -> None:
    result = sync(archive(world.org))
    project = world.projects[-1]
    here = result.key_map["testapp.project"][project.pk]
    m.Contract.objects.using(OTHER).create(project_id=here)  # PROTECT
    m.Contract.objects.filter(project=project).delete()
    m.Project.objects.filter(pk=project.pk).delete()
    m.Project.objects.filter(pk=world.projects[0].pk).update(name="changed at the source")
    data = archive(world.org)
    before = unchanged_everywhere()
    with pytest.raises(DeleteBlocked, match=r"testapp\.contract"):
        sync(data, prune=True)
    with pytest.raises(DeleteBlocked):
        sync(data, prune=True, dry_run=True)
    assert unchanged_everywhere() == before
    # Without --prune the sync goes ahead and leaves the project alone.
    sync(data)
    assert m.Project.objects.using(OTHER).filter(pk=here).exists()


def test_a_dry_run_counts_what_a_sync_would_do_and_writes_nothing(world: World) -> None:
    sync(archive(world.org))
    change_the_source(world)
    data = archive(world.org)
    before = unchanged_everywhere()
    planned = sync(data, prune=True, dry_run=True)
    assert unchanged_everywhere() == before
    done = sync(data, prune=True)
    for label, report in planned.models.items():
        counts = ("created", "unchanged", "updated", "pruned", "conflicts")
        assert [getattr(report, c) for c in counts] == [
            getattr(done.models[label], c) for c in counts
        ], label


def test_the_pruned_rows_are_archived_first(world: World, tmp_path: Any) -> None:
    sync(archive(world.org))
    changes = change_the_source(world)
    sync(archive(world.org), prune=True, prune_archive=tmp_path / "pruned.jsonl")
    text = (tmp_path / "pruned.jsonl").read_text()
    assert changes["gone"] in text


def test_a_sync_costs_the_same_queries_whatever_the_size(world: World) -> None:
    # The shared rows (people, tags) are there before either tree: both find them alike.
    sync(archive(world.org))
    there = set(m.Person.objects.using(OTHER).values_list("username", flat=True))
    m.Person.objects.using(OTHER).bulk_create(
        m.Person(username=name)
        for name in m.Person.objects.values_list("username", flat=True)
        if name not in there
    )
    counts = []
    for name, size in (("Small", 1), ("Big", 8)):
        org = m.Organisation.objects.create(name=name)
        build_tenant(org, world, size)
        sync(archive(org))
        m.Task.objects.filter(project__organisation=org).update(title="changed at the source")
        changed = archive(org)
        counts.append(count_queries(partial(sync, changed), OTHER))
    assert counts[0] == counts[1]


def test_archives_name_the_installation_they_come_from(world: World) -> None:
    header = json.loads(archive(world.org).splitlines()[0])
    stored = GraftInstallation.objects.get().installation_id
    assert header["installation"] == stored and len(stored) == 32
    assert json.loads(archive(world.org).splitlines()[0])["installation"] == stored
    with override_settings(GRAFT={"INSTALLATION_ID": "production"}):
        assert json.loads(archive(world.org).splitlines()[0])["installation"] == "production"


def test_two_sources_keep_their_own_ledgers(world: World) -> None:
    with override_settings(GRAFT={"INSTALLATION_ID": "production"}):
        data = archive(world.org)
    with override_settings(GRAFT={"INSTALLATION_ID": "training"}):
        other = archive(world.org)
    sync(data)
    # The same tree from another source is another tree here: created anew (a clash
    # of its unique name, here, which the sync lists like any other).
    with pytest.raises(ConflictError, match="name='Acme'"):
        sync(other)
    assert {
        source for (source,) in GraftLedgerEntry.objects.using(OTHER).values_list("source")
    } == {"production"}


def test_a_sync_takes_its_source_only_from_a_signed_archive(world: World) -> None:
    with override_settings(GRAFT={"SIGNING_KEY": "another installation's"}):
        data = archive(world.org)
    before = unchanged_everywhere()
    with pytest.raises(UntrustedArchive, match="takes the archive's word"):
        sync(data)
    assert unchanged_everywhere() == before
    assert sync(data, trust_unsigned=True).created > 0


def test_what_a_sync_cannot_do_is_refused_by_name(world: World, tmp_path: Any) -> None:
    data = archive(world.org)
    before = unchanged_everywhere()
    with pytest.raises(PolicyError, match="pks='remap'"):
        import_archive(io.BytesIO(data), using=OTHER, sync=True)
    with pytest.raises(PolicyError, match="needs sync=True"):
        import_archive(io.BytesIO(data), using=OTHER, pks="remap", prune=True)
    fixture = tmp_path / "acme.json"
    call_command(
        "graft_export", f"testapp.Organisation:{world.org.pk}", "-o", str(fixture), "-v", "0"
    )
    with pytest.raises(ImportRefused, match="does not name the installation"):
        import_archive(fixture, using=OTHER, pks="remap", sync=True)
    with pytest.raises(CommandError, match="pks remap"):
        call_command("graft_import", str(fixture), "--database", OTHER, "--sync", "-v", "0")
    assert unchanged_everywhere() == before


def test_the_command_syncs_and_says_what_it_did(world: World, tmp_path: Any) -> None:
    path = tmp_path / "acme.jsonl"
    path.write_bytes(archive(world.org))
    options = ["--database", OTHER, "--pks", "remap", "--sync", "--prune"]
    call_command("graft_import", str(path), *options, stdout=io.StringIO())
    change_the_source(world)
    path.write_bytes(archive(world.org))
    out = io.StringIO()
    call_command("graft_import", str(path), *options, stdout=out)
    last = out.getvalue().rstrip().splitlines()[-1]
    assert "1 updated" in last and "pruned" in last
    out = io.StringIO()
    call_command("graft_import", str(path), *options, stdout=out)
    assert out.getvalue().rstrip().endswith("unchanged.")
