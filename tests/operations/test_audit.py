"""The audit log: every operation run from a command is on record, failures included."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError

from django_graft.models import GraftLog
from django_graft.operations.audit import system_user
from tests.testapp.world import World

pytestmark = pytest.mark.django_db(databases=["default", "other"])


def run(*args: str) -> None:
    call_command(*args, stdout=io.StringIO(), stderr=io.StringIO())


def test_an_export_is_on_record(world: World, tmp_path: Path) -> None:
    spec = f"testapp.Organisation:{world.org.pk}"
    run("graft_export", spec, "-o", str(tmp_path / "org.jsonl"))
    (entry,) = GraftLog.objects.all()
    assert (entry.operation, entry.via, entry.outcome) == ("export", "command", "success")
    assert entry.roots == [spec] and entry.database == "default"
    assert entry.location == str(tmp_path / "org.jsonl") and len(entry.sha256) == 64
    assert entry.counts["testapp.organisation"] == 1
    assert entry.username == system_user() and entry.user is None
    assert entry.finished_at is not None and entry.finished_at >= entry.started_at


def test_a_refused_import_is_on_record_as_a_failure(world: World, tmp_path: Path) -> None:
    spec = f"testapp.Organisation:{world.org.pk}"
    run("graft_export", spec, "-o", str(tmp_path / "org.jsonl"))
    type(world.org).objects.filter(pk=world.org.pk).update(name="Renamed since")
    with pytest.raises(CommandError):
        run("graft_import", str(tmp_path / "org.jsonl"))  # its key holds another row
    entry = GraftLog.objects.filter(operation="import").get()
    assert entry.outcome == "failure"
    assert "collide with rows in database 'default'" in entry.message
    assert entry.location == str(tmp_path / "org.jsonl")


def test_clone_and_delete_are_on_record(world: World) -> None:
    spec = f"testapp.Organisation:{world.org.pk}"
    run("graft_clone", spec, "--set", "testapp.Organisation.name=Copy")
    run("graft_delete", spec, "--no-input")
    clone, delete = GraftLog.objects.order_by("pk")
    assert clone.operation == "clone" and clone.counts["testapp.organisation"] == 1
    assert delete.operation == "delete" and delete.counts["testapp.organisation"] == 1


def test_dry_runs_are_not_recorded(world: World) -> None:
    run("graft_delete", f"testapp.Organisation:{world.org.pk}", "--dry-run")
    run("graft_export", f"testapp.Organisation:{world.org.pk}", "--dry-run")
    assert not GraftLog.objects.exists()


def test_an_unwritable_log_does_not_undo_the_operation(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise DatabaseError("no such table: django_graft_graftlog")

    monkeypatch.setattr(GraftLog, "save", refuse)
    run("graft_export", f"testapp.Organisation:{world.org.pk}", "-o", str(tmp_path / "o.jsonl"))
    assert (tmp_path / "o.jsonl").exists()
    assert "Could not write the audit log entry for this export" in caplog.text
