from __future__ import annotations

import io
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.core.management import CommandError, call_command

from django_graft.archive.reader import read_archive
from tests.testapp.world import World

pytestmark = pytest.mark.django_db


def run(*args: str, **options: Any) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def test_export_to_a_file(world: World, tmp_path: Path) -> None:
    target = tmp_path / "org.jsonl"
    out, _ = run("graft_export", f"testapp.Organisation:{world.org.pk}", "-o", str(target))
    with target.open("rb") as stream:
        summary = read_archive(stream)
    assert out.splitlines()[-1] == (
        f"Exported {sum(summary.counts.values())} rows of {len(summary.counts)} models and 3 "
        f"references from testapp.organisation:{world.org.pk} to {target} "
        f"(sha256 {summary.sha256})."
    )
    assert out.splitlines()[0].split() == ["model", "owned", "needed", "refs", "why"]


def test_export_to_stdout(world: World, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    err = io.StringIO()
    call_command("graft_export", f"testapp.Project:{world.projects[0].pk}", "-o", "-", stderr=err)
    data = capsysbinary.readouterr().out
    summary = read_archive(io.BytesIO(data))
    assert summary.counts["testapp.project"] >= 1
    assert err.getvalue().startswith("Exported ")


def test_dry_run_writes_nothing(world: World, tmp_path: Path) -> None:
    target = tmp_path / "org.jsonl"
    out, _ = run(
        "graft_export", f"testapp.Organisation:{world.org.pk}", "-o", str(target), "--dry-run"
    )
    assert "Dry run: would export" in out
    assert not target.exists()


def test_inspect_plan_and_pictures(world: World, tmp_path: Path) -> None:
    for suffix, start in ((".dot", "digraph graft {"), (".mmd", "flowchart LR")):
        picture = tmp_path / f"plan{suffix}"
        out, _ = run(
            "graft_inspect", f"testapp.Organisation:{world.org.pk}", "--graph", str(picture)
        )
        text = picture.read_text()
        assert text.startswith(start)
        assert "projects (2)" in text
        assert "testapp.task" in text
    lines = out.splitlines()
    assert lines[0] == f"Plan for testapp.organisation:{world.org.pk} (database 'default'):"
    task = next(line for line in lines if line.startswith("testapp.task "))
    assert task.split()[:4] == ["testapp.task", "18", "0", "0"]
    assert task.endswith("own via testapp.organisation.projects > testapp.project.tasks")


def test_inspect_an_archive(world: World, tmp_path: Path) -> None:
    target = tmp_path / "org.jsonl.gz"
    run("graft_export", f"testapp.Organisation:{world.org.pk}", "-o", str(target))
    out, _ = run("graft_inspect", str(target))
    assert out.startswith(f"{target}: django-graft archive v1, verified (sha256 ")


def test_policy_options(world: World) -> None:
    out, _ = run(
        "graft_inspect",
        f"testapp.Organisation:{world.org.pk}",
        "--reference", "testapp.Person",
        "--skip", "testapp.Project.tasks",
    )  # fmt: skip
    assert not any(line.startswith("testapp.task ") for line in out.splitlines())
    person = next(line for line in out.splitlines() if line.startswith("testapp.person "))
    assert person.split()[1:4] == ["0", "0", "3"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["testapp.Project"],
            "'testapp.Project' names no primary key: expected 'app_label.Model:PK[,PK...]', "
            "e.g. 'tenants.Organisation:1'.",
        ),
        (
            ["testapp.Nope:1"],
            "'testapp.Nope:1': Unknown model 'testapp.Nope': check the spelling and that the "
            "app is in INSTALLED_APPS. Expected 'app_label.Model:PK[,PK...]', e.g. "
            "'tenants.Organisation:1'.",
        ),
        (
            ["Project:1"],
            "'Project:1': Unknown model 'Project': use the form 'app_label.ModelName', e.g. "
            "'auth.User'. Expected 'app_label.Model:PK[,PK...]', e.g. 'tenants.Organisation:1'.",
        ),
        (
            ["testapp.Project:abc"],
            "'testapp.Project:abc': 'abc' is not a valid primary key for testapp.Project "
            "(AutoField).",
        ),
        (
            ["testapp.Project:424242"],
            "No testapp.project with primary key 424242 exists in database 'default'. "
            "Check the key, or pass --database for another database.",
        ),
        (
            ["testapp.Project:1", "--skip", "testapp.Project.nope"],
            "Unknown relation 'testapp.Project.nope': testapp.project has no relation named "
            "'nope'. Its relations are: audits, contracts, current_milestone, documents, lead, "
            "memberships, milestones, notes, organisation, samples, tags, tasks.",
        ),
        (
            ["testapp.Project:1", "--skip", "testapp.Project.lead"],
            "'testapp.Project.lead' cannot be skipped: the field is not nullable, so every row "
            "needs its testapp.person. Mark testapp.person as a reference instead.",
        ),
        (
            ["testapp.Project:1", "--reference", "testapp.Nope"],
            "Unknown model 'testapp.Nope': check the spelling and that the app is in "
            "INSTALLED_APPS.",
        ),
        (
            ["testapp.Project:1", "--policy", "tests.nowhere.policy"],
            "Cannot import policy 'tests.nowhere.policy': No module named 'tests.nowhere'. Give "
            "the dotted path of a Policy instance or of a function returning one, e.g. "
            "'myproject.graft.policy'.",
        ),
        (
            ["testapp.Project:1", "--database", "elsewhere"],
            "Unknown database 'elsewhere': the databases are default, other.",
        ),
    ],
)
def test_errors_name_the_problem(
    world: World, tmp_path: Path, args: list[str], message: str
) -> None:
    target = tmp_path / "out.jsonl"
    with pytest.raises(CommandError) as info:
        run("graft_export", *args, "-o", str(target))
    assert str(info.value) == message
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("destination", "reason"),
    [
        ("missing-dir/out.jsonl", "directory '{tmp}/missing-dir' does not exist"),
        ("", "it is a directory"),
    ],
)
def test_unwritable_destination(
    world: World, tmp_path: Path, destination: str, reason: str
) -> None:
    path = tmp_path / destination if destination else tmp_path
    with pytest.raises(CommandError) as info:
        run("graft_export", f"testapp.Organisation:{world.org.pk}", "-o", str(path))
    expected = (
        f"Cannot write archive to '{path}': {reason.format(tmp=tmp_path)}. Give a path in an "
        "existing, writable directory, or '-' for standard output."
    )
    assert str(info.value) == expected
    assert not any(p.name.endswith(".partial") for p in tmp_path.rglob("*"))


def test_directory_that_refuses_files(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("django_graft.storage.local.tempfile.mkstemp", refuse)
    target = tmp_path / "x.jsonl"
    with pytest.raises(CommandError) as info:
        run("graft_export", f"testapp.Organisation:{world.org.pk}", "-o", str(target))
    assert str(info.value) == (
        f"Cannot write archive to '{target}': Permission denied. Give a path in an existing, "
        "writable directory, or '-' for standard output."
    )


def test_commands_exit_non_zero_without_traceback(world: World, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "django",
            "graft_export",
            "testapp.Project",
            "--settings",
            "tests.settings",
        ],
        capture_output=True,
        text=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(root), str(root / "example")])},
    )
    assert completed.returncode == 1
    assert "Traceback" not in completed.stderr
    assert completed.stderr.strip() == (
        "CommandError: 'testapp.Project' names no primary key: expected "
        "'app_label.Model:PK[,PK...]', e.g. 'tenants.Organisation:1'."
    )


@pytest.mark.django_db(databases=["default", "other"])
def test_an_interruption_is_one_line_and_exit_status_130(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ctrl-C: no traceback, a word on what was left, the status of a SIGINT."""
    from django.core.management import load_command_class

    path = tmp_path / "acme.jsonl"
    args = ["graft_export", f"testapp.Organisation:{world.org.pk}", "-o", str(path)]
    with mock.patch(
        "django_graft.management.commands.graft_export.export", side_effect=KeyboardInterrupt
    ):
        with pytest.raises(CommandError) as info:
            call_command(*args)
        assert str(info.value) == f"Interrupted: no archive was written to {path}."
        assert info.value.returncode == 130
        command = load_command_class("django_graft", "graft_export")
        with pytest.raises(SystemExit) as exited:
            command.run_from_argv(
                [
                    "manage.py",
                    "graft_export",
                    f"testapp.Organisation:{world.org.pk}",
                    "-o",
                    str(path),
                ]
            )
    assert exited.value.code == 130
    assert capsys.readouterr().err == f"Interrupted: no archive was written to {path}.\n"
    assert not path.exists()


@pytest.mark.django_db(databases=["default", "other"])
def test_verbosity_0_prints_nothing_when_all_is_well(world: World, tmp_path: Path) -> None:
    """Export, import, clone and delete alike: silence, then the data is there."""
    from tests.testapp import models as m

    org = f"testapp.Organisation:{world.org.pk}"
    path = tmp_path / "acme.jsonl"
    runs = [
        ["graft_export", org, "-o", str(path)],
        ["graft_import", str(path), "--database", "other"],
        ["graft_clone", f"testapp.Project:{world.projects[0].pk}"],
        ["graft_delete", org, "--no-input"],
    ]
    for args in runs:
        out, err = io.StringIO(), io.StringIO()
        call_command(*args, "-v", "0", stdout=out, stderr=err)
        assert (args[0], out.getvalue(), err.getvalue()) == (args[0], "", "")
    assert m.Organisation.objects.using("other").filter(name=world.org.name).count() == 1
    assert not m.Organisation.objects.filter(pk=world.org.pk).exists()


def test_inspecting_a_missing_file_says_it_is_missing(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.jsonl"
    with pytest.raises(CommandError) as info:
        call_command("graft_inspect", str(missing), stdout=io.StringIO())
    assert str(info.value) == (
        f"No file '{missing}': there is no archive or fixture at that path. Check it, or "
        "name roots as app.Model:PK."
    )


def test_inspect_shows_the_dynamic_edges_of_a_plan_and_an_archive(tmp_path: Path) -> None:
    from tests.testapp.boards import make_board

    board = make_board("inspect")
    policy = "tests.testapp.board_policy.POLICY"
    picture = tmp_path / "plan.dot"
    out, _ = run(
        "graft_inspect", f"testapp.Board:{board.pk}", "--policy", policy, "--graph", str(picture)
    )
    sketch = next(line for line in out.splitlines() if line.startswith("testapp.sketch "))
    assert sketch.split()[1:4] == ["2", "0", "0"]
    assert sketch.endswith("own via testapp.board.settings[$.sketches[*]]")
    text = picture.read_text()
    assert (
        '"testapp.board" -> "testapp.sketch" [label="settings[$.sketches[*]] (2)", style=dashed]'
        in text
    )
    archive = tmp_path / "board.jsonl"
    run("graft_export", f"testapp.Board:{board.pk}", "--policy", policy, "-o", str(archive))
    out, _ = run("graft_inspect", str(archive))
    assert (
        "Dynamic edge: testapp.board.settings $.sketches[*] holds keys of testapp.sketch (own)."
        in out.splitlines()
    )
    assert (
        "Dynamic edge: testapp.widget.target_id holds keys of the model its target_type names "
        "(need)." in out.splitlines()
    )
