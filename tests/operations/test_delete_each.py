"""Delete one root at a time, each archived first; a rerun settles what a kill left."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from django_graft import import_archive
from django_graft.operations import eachroot
from django_graft.operations.each import delete_each, export_each
from django_graft.operations.manifest import Manifest
from tests.operations.test_each import manifest_of, trailer_hash
from tests.snapshots import every_table
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db(databases=["default", "other"])


def test_each_root_is_deleted_and_its_archive_restores_it(world: World, tmp_path: Path) -> None:
    small = m.Organisation.objects.create(name="Small")
    before = every_table()
    result = delete_each([world.org, small], tmp_path / "new" / "{pk}.jsonl.gz")  # no folder yet
    assert [e.pk for e in result.done] == [world.org.pk, small.pk]
    assert not m.Organisation.objects.filter(pk__in=[world.org.pk, small.pk]).exists()
    for entry in result.done:
        assert entry.sha256 is not None
        import_archive(entry.archive)
    assert every_table() == before


def test_a_blocked_root_fails_and_the_others_go_on(world: World, tmp_path: Path) -> None:
    # A Contract outside the tree PROTECTs a project of the other organisation.
    kept = every_table()["testapp.organisation"]
    result = delete_each([world.other_org, world.org], tmp_path / "{pk}.jsonl")
    assert [e.pk for e in result.failed] == [world.other_org.pk]
    assert "PROTECT" in (result.failed[0].error or "")
    assert [e.pk for e in result.done] == [world.org.pk]
    assert m.Organisation.objects.get(pk=world.other_org.pk).name == "Globex"
    assert len(every_table()["testapp.organisation"]) == len(kept) - 1


def test_a_delete_the_manifest_did_not_hear_of_is_settled_from_its_archive(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = m.Organisation.objects.create(name="Small")
    real = eachroot.ONE_ROOT["delete"]

    def killed_after_the_commit(*args: Any) -> Any:
        real(*args)  # deleted and committed, then the process dies
        raise KeyboardInterrupt

    monkeypatch.setitem(eachroot.ONE_ROOT, "delete", killed_after_the_commit)
    template = tmp_path / "{pk}.jsonl"
    with pytest.raises(KeyboardInterrupt):
        delete_each([world.org, small], template)
    entries = manifest_of(tmp_path / "graft-manifest.json")["roots"]
    assert [(e["pk"], e["outcome"]) for e in entries] == [(world.org.pk, "started")]
    assert not m.Organisation.objects.filter(pk=world.org.pk).exists()

    monkeypatch.setitem(eachroot.ONE_ROOT, "delete", real)
    result = delete_each({m.Organisation: [world.org.pk, small.pk]}, template)
    archive = tmp_path / f"{world.org.pk}.jsonl"
    assert [(e.pk, e.sha256) for e in result.done] == [
        (world.org.pk, trailer_hash(archive)),
        (small.pk, trailer_hash(tmp_path / f"{small.pk}.jsonl")),
    ]
    assert result.done[0].counts["testapp.organisation"] == 1
    entries = manifest_of(tmp_path / "graft-manifest.json")["roots"]
    assert [e["outcome"] for e in entries] == ["done", "done"]


def test_a_started_root_gone_without_its_archive_is_a_failure(world: World, tmp_path: Path) -> None:
    template = str(tmp_path / "{pk}.jsonl")
    started = {
        "model": "testapp.organisation",
        "pk": 999_999,
        "archive": str(tmp_path / "999999.jsonl"),
        "outcome": "started",
        "finished_at": "2026-12-03T00:00:00+00:00",
        "started_at": "2026-12-03T00:00:00+00:00",
    }
    (tmp_path / "graft-manifest.json").write_text(
        json.dumps(
            {
                "format": "django-graft-manifest",
                "version": 1,
                "operation": "delete",
                "template": template,
                "database": "default",
                "roots": [started],
            }
        )
    )
    result = delete_each([world.org], template)
    assert [e.pk for e in result.failed] == [999_999]
    assert (result.failed[0].error or "").endswith("999999.jsonl' is not there.")
    assert [e.pk for e in result.done] == [world.org.pk]


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("graft_delete", *args, "--no-input", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_the_command(world: World, tmp_path: Path) -> None:
    template = str(tmp_path / "{label}-{pk}.jsonl.zst")
    with pytest.raises(CommandError, match="give the template of their locations with --archive"):
        run("testapp.Organisation", "--filter", "name=Acme", "--each")
    with pytest.raises(CommandError, match="give the template of their locations with --archive"):
        run("testapp.Organisation", "--filter", "name=Acme", "--each", "--dry-run")
    with pytest.raises(CommandError, match="has no"):
        run(f"testapp.Organisation:{world.org.pk}", "--each", "--dry-run", "--archive", "x")
    out = run(
        "testapp.Organisation",
        "--filter",
        "name=Acme",
        "--each",
        "--dry-run",
        "--archive",
        template,
    )
    assert out.splitlines() == [
        "testapp.organisation: 1 roots",
        "Dry run: 1 roots would be deleted one at a time, each with what it owns; nothing was "
        "deleted.",
    ]
    out = run("testapp.Organisation", "--filter", "name=Acme", "--each", "--archive", template)
    assert out.splitlines() == [
        "testapp.organisation: 1 roots",
        f"1 roots: 1 deleted, 0 done before, 0 failed. Manifest: {tmp_path}/graft-manifest.json.",
    ]
    assert (tmp_path / f"testapp.organisation-{world.org.pk}.jsonl.zst").exists()
    out = run("testapp.Organisation", "--filter", "name=Acme", "--each", "--archive", template)
    assert out.strip().startswith("0 roots: 0 deleted, 0 done before, 0 failed.")
    with pytest.raises(CommandError, match="1 of 1 roots failed"):
        run(f"testapp.Organisation:{world.other_org.pk}", "--each", "--archive", template)


@pytest.mark.parametrize("filtered", [True, False])
def test_a_kill_after_the_last_delete_is_settled_by_the_command(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, filtered: bool
) -> None:
    real = eachroot.ONE_ROOT["delete"]

    def killed_after_the_commit(*args: Any) -> Any:
        real(*args)
        raise KeyboardInterrupt

    monkeypatch.setitem(eachroot.ONE_ROOT, "delete", killed_after_the_commit)
    template = str(tmp_path / "{pk}.jsonl")
    roots = (
        ["testapp.Organisation", "--filter", "name=Acme"]
        if filtered
        else [f"testapp.Organisation:{world.org.pk}"]
    )
    with pytest.raises(CommandError, match="Interrupted"):
        run(*roots, "--each", "--archive", template)
    monkeypatch.setitem(eachroot.ONE_ROOT, "delete", real)
    out = run(*roots, "--each", "--archive", template)
    assert out.splitlines()[-1].startswith("1 roots: 1 deleted, 0 done before, 0 failed.")
    entries = manifest_of(tmp_path / "graft-manifest.json")["roots"]
    assert [(e["pk"], e["outcome"]) for e in entries] == [(world.org.pk, "done")]
    assert entries[0]["sha256"] == trailer_hash(tmp_path / f"{world.org.pk}.jsonl")


def test_a_root_deleted_by_a_task_that_outlived_its_run_is_done(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = eachroot.ONE_ROOT["delete"]

    def beaten_by_an_older_task(*args: Any) -> Any:
        real(*args)  # an older run's task deletes it and archives it...
        return eachroot.delete_root(*args)  # ...and this run's own try finds it gone

    monkeypatch.setitem(eachroot.ONE_ROOT, "delete", beaten_by_an_older_task)
    template = tmp_path / "{pk}.jsonl"
    first = delete_each([world.org], template)
    assert (first.failed[0].error or "").startswith("No testapp.organisation with primary key")
    monkeypatch.setitem(eachroot.ONE_ROOT, "delete", real)
    again = delete_each({m.Organisation: [world.org.pk]}, template)
    archive = tmp_path / f"{world.org.pk}.jsonl"
    assert [(e.pk, e.sha256) for e in again.done] == [(world.org.pk, trailer_hash(archive))]
    assert again.failed == [] and again.skipped == []


def test_an_archive_no_run_of_the_manifest_wrote_proves_nothing(
    world: World, tmp_path: Path
) -> None:
    template = tmp_path / "{pk}.jsonl"
    export_each([world.org], template, manifest=tmp_path / "export.json")
    written = (tmp_path / f"{world.org.pk}.jsonl").read_bytes()
    # Another database never had the root: nothing is deleted, nothing is "done".
    elsewhere = delete_each({m.Organisation: [world.org.pk]}, template, using="other")
    assert elsewhere.done == []
    assert (elsewhere.failed[0].error or "").startswith("An archive is already at")
    gone = delete_each({m.Organisation: [424242]}, template, using="other")
    assert (gone.failed[0].error or "") == (
        "No testapp.organisation with primary key 424242 exists in 'other'."
    )
    # Here, the export's archive is not replaced: it may be the only copy of a tree.
    for _ in range(2):  # and again: the refusal in the manifest proves nothing either
        here = delete_each([world.org], template, manifest=tmp_path / "delete.json")
        assert (here.failed[0].error or "").startswith(f"An archive is already at '{tmp_path}/")
    assert m.Organisation.objects.filter(pk=world.org.pk).exists()
    assert (tmp_path / f"{world.org.pk}.jsonl").read_bytes() == written


def test_a_manifest_is_saved_a_few_times_not_once_per_root(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    m.Organisation.objects.bulk_create(m.Organisation(name=f"Tiny {i}") for i in range(14))
    saves = []
    real = Manifest.save

    def counted(self: Manifest) -> None:
        saves.append(self.location)
        real(self)

    monkeypatch.setattr(Manifest, "save", counted)
    tiny = m.Organisation.objects.filter(name__startswith="Tiny")
    result = delete_each(tiny, tmp_path / "{pk}.jsonl")
    assert len(result.done) == 14
    assert len(saves) <= 7  # marks before roots 1, 2, 3, 5, 9, then the end
