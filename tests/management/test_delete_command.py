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


def test_blockers_are_named_by_the_error_itself(world: World) -> None:
    """Output may be discarded: the error alone says what forbids the delete."""
    contract = m.Contract.objects.create(project=world.projects[0])
    before = every_table()
    out = io.StringIO()
    with pytest.raises(CommandError) as info:
        call_command("graft_delete", org_spec(world), "--no-input", stdout=out)
    message = str(info.value)
    assert message.startswith("Cannot delete: 1 row(s) forbid it:\n")
    assert f"  testapp.contract {contract.pk}: project -> testapp.project" in message
    assert "Nothing was deleted." in message
    assert out.getvalue() == ""
    assert every_table() == before


def test_many_blockers_are_listed_twenty_at_most_unless_asked(world: World) -> None:
    contracts = m.Contract.objects.bulk_create(
        [m.Contract(project=world.projects[0]) for _ in range(25)]
    )
    with pytest.raises(CommandError) as info:
        call_command("graft_delete", org_spec(world), "--no-input", stdout=io.StringIO())
    message = str(info.value)
    shown = [int(line.split()[1].rstrip(":")) for line in message.splitlines()[1:21]]
    assert shown == sorted(c.pk for c in contracts)[:20]  # as numbers: 9 before 10
    assert "  ... and 5 more\n" in message
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("graft_delete", org_spec(world), "--no-input", "-v", "2", stdout=out)
    assert all(f"testapp.contract {c.pk}: " in out.getvalue() for c in contracts)


def test_standard_input_ending_at_the_question_deletes_nothing(world: World) -> None:
    before = every_table()
    with (
        mock.patch("builtins.input", side_effect=EOFError),
        pytest.raises(CommandError) as info,
    ):
        call_command("graft_delete", org_spec(world), stdout=io.StringIO())
    assert str(info.value) == (
        "No answer to the confirmation: standard input ended. Nothing was deleted. "
        "Pass --no-input to delete without asking."
    )
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


def test_an_archive_that_cannot_be_written_deletes_nothing(world: World, tmp_path: Path) -> None:
    """Standard output is no fix for a delete's archive, which is read back."""
    before = every_table()
    target = tmp_path / "missing" / "acme.jsonl"
    with pytest.raises(CommandError) as info:
        call_command(
            "graft_delete", org_spec(world), "--archive", str(target), "--no-input",
            stdout=io.StringIO(),
        )  # fmt: skip
    assert str(info.value) == (
        f"Cannot write the archive to '{target}': directory '{target.parent}' does not exist. "
        "Nothing was deleted. Give a path in an existing, writable directory."
    )
    assert every_table() == before
