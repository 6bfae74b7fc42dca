from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db


def run(*args: str, **options: Any) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def test_clone_prints_the_counts_and_the_copies(world: World) -> None:
    out = run(
        "graft_clone",
        f"testapp.Organisation:{world.org.pk}",
        "--set",
        "testapp.Organisation.name=Acme (copy)",
    )
    copy = m.Organisation.objects.get(name="Acme (copy)")
    lines = out.splitlines()
    assert lines[0].split() == [
        "model",
        "created",
        "matched",
        "unchanged",
        "updated",
        "skipped",
        "conflicts",
    ]
    assert lines[-1].startswith("Cloned ")
    assert lines[-1].endswith(f"Copies: testapp.organisation:{copy.pk}.")
    assert copy.projects.count() == world.org.projects.count()


def test_set_reads_values_with_the_field_and_null_clears(world: World) -> None:
    project = world.projects[0]
    run(
        "graft_clone",
        f"testapp.Project:{project.pk}",
        "--set",
        "testapp.Project.name=renamed",
        "--set",
        "testapp.Project.current_milestone=null",
    )
    copy = m.Project.objects.get(name="renamed")
    assert copy.current_milestone_id is None
    assert project.current_milestone_id is not None


def test_dry_run_writes_nothing(world: World) -> None:
    before = m.Project.objects.count()
    out = run("graft_clone", f"testapp.Project:{world.projects[0].pk}", "--dry-run")
    assert "Dry run: would copy" in out.splitlines()[-1]
    assert m.Project.objects.count() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "testapp.Project.name"], "expected 'app_label.Model.field=VALUE'"),
        (["--set", "testapp.Project.colour=red"], "Project has no field 'colour'"),
        (["--set", "testapp.Sample.integer=many"], "'many' is not a value for"),
        ([], r"testapp\.organisation \d+: name='Acme' is already taken"),
        (
            ["--set", "testapp.Project.name=null", "--dry-run"],
            "'testapp.Project.name' cannot be set to None: the column is NOT NULL",
        ),
    ],
)
def test_bad_input_is_named(world: World, args: list[str], message: str) -> None:
    before = m.Organisation.objects.count()
    with pytest.raises(CommandError, match=message):
        run("graft_clone", f"testapp.Organisation:{world.org.pk}", *args)
    assert m.Organisation.objects.count() == before
