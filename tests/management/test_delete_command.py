from __future__ import annotations

import io
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.core.management import CommandError, call_command

from tests.snapshots import every_table
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db


def run(*args: str, answer: str | None = None, **options: Any) -> str:
    out = io.StringIO()
    with mock.patch("builtins.input", return_value=answer) as asked:
        call_command(*args, stdout=out, stderr=io.StringIO(), **options)
    assert asked.called == (answer is not None)
    return out.getvalue()


def org_spec(world: World) -> str:
    return f"testapp.Organisation:{world.org.pk}"


def test_delete_previews_asks_and_deletes(world: World) -> None:
    out = run("graft_delete", org_spec(world), answer="yes")
    lines = out.splitlines()
    assert lines[0].split() == ["model", "would", "delete"]
    assert any(line.startswith("testapp.project ") for line in lines)
    assert "testapp.audit.project: 1 row(s), SET_NULL (by the delete)" in out
    assert lines[-1].startswith("Deleted ") and lines[-1].endswith(" rows from 'default'.")
    assert not m.Organisation.objects.filter(pk=world.org.pk).exists()


@pytest.mark.parametrize("answer", ["no", "", "y"])
def test_anything_but_yes_cancels(world: World, answer: str) -> None:
    before = every_table()
    out = run("graft_delete", org_spec(world), answer=answer)
    assert out.splitlines()[-1] == "Delete cancelled: nothing was deleted."
    assert every_table() == before


def test_no_input_does_not_ask(world: World) -> None:
    run("graft_delete", org_spec(world), "--no-input")
    assert not m.Organisation.objects.filter(pk=world.org.pk).exists()


def test_dry_run_only_previews(world: World) -> None:
    before = every_table()
    out = run("graft_delete", org_spec(world), "--dry-run")
    assert out.splitlines()[-1] == "Dry run: nothing was deleted from 'default'."
    assert every_table() == before


def test_blockers_are_listed_and_fail_the_command(world: World) -> None:
    contract = m.Contract.objects.create(project=world.projects[0])
    before = every_table()
    out = io.StringIO()
    with pytest.raises(CommandError, match=r"the 1 row\(s\) listed above forbid it"):
        call_command("graft_delete", org_spec(world), "--no-input", stdout=out)
    assert f"testapp.contract {contract.pk}: project -> testapp.project" in out.getvalue()
    assert every_table() == before


def test_archive_then_restore_with_graft_import(world: World, tmp_path: Path) -> None:
    before = every_table()
    path = tmp_path / "acme.jsonl.gz"
    out = run("graft_delete", org_spec(world), "--archive", str(path), "--no-input")
    assert "read back and verified" in out
    assert every_table() != before
    summary = run("graft_inspect", str(path))
    assert "to put back on import: testapp.audit 1." in summary
    run("graft_import", str(path))
    assert every_table() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["testapp.Organisation:999"], "No testapp.organisation with primary key 999"),
        (["nope.Model:1"], "nope.Model"),
        (["ORG", "--archive", "-"], "standard output"),
        (["ORG", "--archive", "/nonexistent/dir/a.jsonl"], "does not exist"),
        (["ORG", "--database", "nosuch"], "Unknown database 'nosuch'"),
    ],
)
def test_bad_input_is_a_clear_error(world: World, args: list[str], message: str) -> None:
    args = [org_spec(world) if arg == "ORG" else arg for arg in args]
    before = every_table()
    with pytest.raises(CommandError, match=message):
        call_command("graft_delete", *args, "--no-input", stdout=io.StringIO())
    assert every_table() == before
