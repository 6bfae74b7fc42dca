"""graft_export --filter, --each and --manifest."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from tests.snapshots import every_table
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("graft_export", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_each_root_a_filter_finds_gets_its_archive(world: World, tmp_path: Path) -> None:
    template = str(tmp_path / "{label}-{pk}.jsonl.gz")
    out, _ = run(
        "testapp.Organisation", "--filter", "name__in=Acme,Globex", "--each", "-o", template
    )
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(
        ["graft-manifest.json"]
        + [f"testapp.organisation-{pk}.jsonl.gz" for pk in (world.org.pk, world.other_org.pk)]
    )
    assert out.strip() == (
        f"2 roots: 2 exported, 0 done before, 0 failed. Manifest: {tmp_path}/graft-manifest.json."
    )
    out, _ = run(
        "testapp.Organisation", "--filter", "name__in=Acme,Globex", "--each", "-o", template
    )
    assert out.startswith("2 roots: 0 exported, 2 done before, 0 failed.")


def test_a_filter_without_each_exports_every_root_to_one_archive(
    world: World, tmp_path: Path
) -> None:
    path = tmp_path / "both.jsonl"
    run("testapp.Organisation", "--filter", "name__startswith=", "-o", str(path))
    header = json.loads(path.read_text().splitlines()[0])
    assert sorted(r["pk"] for r in header["roots"]) == sorted([world.org.pk, world.other_org.pk])
    run("testapp.Organisation", "--filter", "name=Acme", "-o", str(path))
    assert [r["pk"] for r in json.loads(path.read_text().splitlines()[0])["roots"]] == [
        world.org.pk
    ]


def test_lookups_of_other_kinds(world: World, tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    run(
        "testapp.Project",
        "--filter",
        "organisation__name=Acme",
        "--filter",
        "id__gte=0",
        "-o",
        str(path),
    )
    roots = json.loads(path.read_text().splitlines()[0])["roots"]
    assert sorted(r["pk"] for r in roots) == sorted(p.pk for p in world.projects)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            ["--filter", "nosuch=1"],
            "does not apply to testapp.Organisation: Cannot resolve keyword 'nosuch'",
        ),
        (["--filter", "id=abc"], "does not apply to testapp.Organisation"),
        (["--filter", "name"], "--filter 'name' is not FIELD=VALUE"),
        (["--filter", "name__isnull=maybe"], "__isnull takes true or false"),
        (["--filter", "pk__range=1"], "does not apply to testapp.Organisation"),
        (["--filter", "name__regex=("], "does not apply to testapp.Organisation"),
        (["--filter", "id__in=99999999999999999999999"], "testapp.Organisation"),
        (["--manifest", "m.json", "-o", "x.jsonl"], "--manifest goes with --each"),
    ],
)
def test_bad_filters_are_refused_by_name(
    world: World, tmp_path: Path, args: list[str], says: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    before = every_table()
    with pytest.raises(CommandError) as info:
        run("testapp.Organisation", *args)
    assert says in str(info.value)
    assert list(tmp_path.iterdir()) == []
    assert every_table() == before


def test_keys_with_a_filter_are_refused(world: World) -> None:
    with pytest.raises(CommandError, match="with --filter, name models only"):
        run(f"testapp.Organisation:{world.org.pk}", "--filter", "name=Acme")


def test_nothing_passes_the_filter(world: World, tmp_path: Path) -> None:
    out, _ = run("testapp.Organisation", "--filter", "name=Nobody", "--dry-run")
    assert out.strip() == "Dry run: no row passes the filter; nothing to export."
    with pytest.raises(CommandError, match=r"No row of testapp\.Organisation passes"):
        run("testapp.Organisation", "--filter", "name=Nobody", "-o", str(tmp_path / "x.jsonl"))
    out, _ = run(
        "testapp.Organisation", "--filter", "name=Nobody", "--each", "-o", str(tmp_path / "{pk}")
    )
    assert out.startswith("0 roots: 0 exported")


def test_failed_roots_fail_the_command_after_the_others(
    world: World, tmp_path: Path, settings: Any
) -> None:
    small = m.Organisation.objects.create(name="Small")
    settings.GRAFT = {"MAX_ROWS": 5}
    with pytest.raises(CommandError) as info:
        run(
            "testapp.Organisation",
            "--filter",
            "id__gte=0",
            "--each",
            "-o",
            str(tmp_path / "{pk}.jsonl"),
        )
    assert str(info.value) == (
        "2 of 3 roots failed (see above and the manifest); run the same command again to "
        "retry them."
    )
    assert (tmp_path / f"{small.pk}.jsonl").exists()
    entries = json.loads((tmp_path / "graft-manifest.json").read_text())["roots"]
    assert sorted(e["outcome"] for e in entries) == ["done", "failed", "failed"]
