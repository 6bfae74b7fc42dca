from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db(databases=["default", "other"])


def run(*args: str, **options: Any) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


@pytest.fixture
def archive(world: World, tmp_path: Path) -> Path:
    target = tmp_path / "org.jsonl.gz"
    run("graft_export", f"testapp.Organisation:{world.org.pk}", "-o", str(target))
    return target


def test_import_into_another_database(world: World, archive: Path) -> None:
    out = run("graft_import", str(archive), "--database", "other", "--pks", "remap")
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
    assert "testapp.organisation" in out
    assert lines[-1].startswith("Imported into 'other': ")
    assert m.Organisation.objects.using("other").get().name == "Acme"


def test_dry_run_writes_nothing(archive: Path) -> None:
    out = run("graft_import", str(archive), "--database", "other", "--dry-run")
    assert out.splitlines()[-1].endswith("Dry run: nothing written.")
    assert not m.Organisation.objects.using("other").exists()


def test_conflicts_are_listed_and_nothing_is_written(world: World, archive: Path) -> None:
    tasks = m.Task.objects.filter(project__organisation=world.org)
    tasks.update(title="changed")
    with pytest.raises(CommandError) as caught:
        run("graft_import", str(archive))
    message = str(caught.value)
    assert message.startswith(f"{tasks.count()} row(s) of the archive collide with rows in")
    first = tasks.order_by("pk").first()
    assert first is not None
    assert f"testapp.task {first.pk}: the row with this key differs in title" in message


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--match", "testapp.Person"],
            "--match 'testapp.Person': expected 'app_label.Model:field[,field...]', "
            "e.g. 'auth.User:username'.",
        ),
        (
            ["--match", "testapp.Person:nickname"],
            "Unknown field 'nickname' on testapp.person: its fields are country, id, username.",
        ),
        (
            ["--database", "nowhere"],
            "Unknown database 'nowhere': the databases are default, other.",
        ),
    ],
)
def test_bad_options_are_named(archive: Path, args: list[str], message: str) -> None:
    with pytest.raises(CommandError) as caught:
        run("graft_import", str(archive), *args)
    assert str(caught.value) == message


def test_a_missing_archive_is_named(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=r"Cannot read archive '.*nothing\.jsonl': No such file"):
        run("graft_import", str(tmp_path / "nothing.jsonl"))


@pytest.mark.django_db(databases=["default", "other"])
def test_a_fixture_format_guessed_from_its_content_is_said_to_be(
    world: World, tmp_path: Path
) -> None:
    from django_graft import export, import_archive

    buffer = io.BytesIO()
    export(world.tags[0], buffer, format="json")
    unnamed = import_archive(io.BytesIO(buffer.getvalue()), using="other", dry_run=True)
    assert unnamed.fixture == "json"
    assert any("a format guessed from its content" in w for w in unnamed.warnings)
    named = tmp_path / "tags.json"
    named.write_bytes(buffer.getvalue())
    named_result = import_archive(named, using="other", dry_run=True)
    assert not any("guessed" in w for w in named_result.warnings)
    odd = tmp_path / "tags.data"
    odd.write_bytes(buffer.getvalue())
    out = io.StringIO()
    call_command("graft_inspect", str(odd), stdout=out)
    assert out.getvalue().startswith(
        f"{odd}: Django json fixture (the format guessed from its content), "
    )


def test_the_report_file_lists_every_conflict_the_message_leaves_out(
    world: World, archive: Path, tmp_path: Path
) -> None:
    import json

    changed = list(m.Task.objects.filter(project__organisation=world.org).order_by("pk"))
    changed += list(m.Milestone.objects.filter(project__organisation=world.org).order_by("pk"))
    m.Task.objects.filter(pk__in=[t.pk for t in changed if isinstance(t, m.Task)]).update(
        title="changed"
    )
    m.Milestone.objects.filter(project__organisation=world.org).update(title="changed")
    assert len(changed) > 20
    report = tmp_path / "report.json"
    with pytest.raises(CommandError) as caught:
        run("graft_import", str(archive), "--report", str(report))
    message = str(caught.value)
    assert message.count(": the row with this key differs in title") == 20
    assert f"  ... and {len(changed) - 20} more\n" in message
    written = json.loads(report.read_text())
    assert written["outcome"] == "refused" and written["error"] == message
    assert len(written["conflicts"]) == len(changed)


def test_the_report_file_of_an_import_that_went_ahead(
    world: World, archive: Path, tmp_path: Path
) -> None:
    import json

    report = tmp_path / "report.json"
    run("graft_import", str(archive), "--database", "other", "--report", str(report))
    written = json.loads(report.read_text())
    assert written["outcome"] == "imported" and written["database"] == "other"
    assert written["models"]["testapp.organisation"]["created"] == 1
    assert written["conflicts"] == []
