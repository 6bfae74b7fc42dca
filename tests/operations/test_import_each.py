"""Import the archives a manifest lists, each checked against its sha256; resumable."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from django_graft import import_archive
from django_graft.exceptions import ImportWriteError, ManifestError, PolicyError
from django_graft.operations import eachroot
from django_graft.operations.each import export_each
from django_graft.operations.importeach import import_each
from tests.snapshots import every_table
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db(databases=["default", "other"])


@pytest.fixture
def exported(world: World, tmp_path: Path) -> Path:
    export_each(m.Organisation.objects.order_by("pk"), tmp_path / "{pk}.jsonl")
    return tmp_path / "graft-manifest.json"


def names(using: str) -> list[str]:
    return sorted(m.Organisation.objects.using(using).values_list("name", flat=True))


def test_every_archive_is_imported_and_a_rerun_writes_nothing(world: World, exported: Path) -> None:
    before = sum(len(rows) for rows in every_table("other").values())
    result = import_each(exported, using="other")
    assert len(result.done) == 2 and result.failed == []
    assert result.manifest == str(exported).replace(".json", ".import-other.json")
    assert names("other") == ["Acme", "Globex"]
    projects = sorted(
        m.Project.objects.filter(organisation__in=[world.org, world.other_org]).values_list(
            "name", flat=True
        )
    )
    assert sorted(m.Project.objects.using("other").values_list("name", flat=True)) == projects
    created = sum(sum(e.counts.values()) for e in result.done)
    assert created == sum(len(rows) for rows in every_table("other").values()) - before

    after = every_table("other")
    again = import_each(exported, using="other")
    assert len(again.skipped) == 2 and again.done == []
    assert every_table("other") == after


def test_an_archive_replaced_since_is_refused(world: World, exported: Path, tmp_path: Path) -> None:
    # The second archive's place now holds the first one (verified, signed, but not it).
    first, second = (tmp_path / f"{org.pk}.jsonl" for org in (world.org, world.other_org))
    second.write_bytes(first.read_bytes())
    result = import_each(exported, using="other")
    assert [e.pk for e in result.failed] == [world.other_org.pk]
    assert "is not the archive expected there: its sha256 is not" in (result.failed[0].error or "")
    assert names("other") == ["Acme"]


def test_a_stop_after_a_commit_is_settled_by_the_rerun(
    world: World, exported: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = eachroot.ONE_ROOT["import"]

    def killed_after_the_commit(*args: Any) -> Any:
        real(*args)
        raise KeyboardInterrupt

    monkeypatch.setitem(eachroot.ONE_ROOT, "import", killed_after_the_commit)
    with pytest.raises(KeyboardInterrupt):
        import_each(exported, using="other")
    after_one = every_table("other")
    monkeypatch.setitem(eachroot.ONE_ROOT, "import", real)
    result = import_each(exported, using="other")
    assert len(result.done) == 2
    assert result.done[0].counts == {}  # imported again: every row there, unchanged
    assert names("other") == ["Acme", "Globex"]
    now = every_table("other")
    for label, rows in after_one.items():
        assert all(row in now[label] for row in rows), label


def test_what_cannot_be_imported_is_refused(world: World, exported: Path, tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="must sync"):
        import_each(exported, using="other", pks="remap")
    import_each(exported, using="other")
    progress = str(exported).replace(".json", ".import-other.json")
    with pytest.raises(ManifestError, match="lists no archives to import"):
        import_each(progress, using="default")
    with pytest.raises(ManifestError, match="There is no manifest at"):
        import_each(tmp_path / "none.json", using="other")


def test_a_sync_of_every_archive_keeps_copies_in_step(world: World, exported: Path) -> None:
    first = import_each(exported, using="other", pks="remap", sync=True)
    assert len(first.done) == 2
    m.Project.objects.filter(organisation=world.org).update(name="Renamed")
    export_each(
        [world.org],
        Path(exported).parent / "again-{pk}.jsonl",
        manifest=Path(exported).parent / "again.json",
    )
    second = import_each(
        Path(exported).parent / "again.json", using="other", pks="remap", sync=True
    )
    assert len(second.done) == 1
    assert names("other") == ["Acme", "Globex"]
    renamed = m.Project.objects.using("other").filter(organisation__name="Acme")
    assert set(renamed.values_list("name", flat=True)) == {"Renamed"}


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("graft_import", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_the_command(world: World, exported: Path, tmp_path: Path) -> None:
    progress = tmp_path / "progress.json"
    out = run("--manifest", str(exported), "--database", "other", "--progress", str(progress))
    assert out.strip() == f"2 roots: 2 imported, 0 done before, 0 failed. Manifest: {progress}."
    assert [e["outcome"] for e in json.loads(progress.read_text())["roots"]] == ["done", "done"]
    with pytest.raises(CommandError, match="Give one archive to import, or --manifest"):
        run(str(tmp_path / "x.jsonl"), "--manifest", str(exported))
    with pytest.raises(CommandError, match="--dry-run cannot go with --manifest"):
        run("--manifest", str(exported), "--dry-run")


def rewritten(manifest: Path, change: Any) -> Path:
    data = json.loads(manifest.read_text())
    change(data)
    manifest.write_text(json.dumps(data))
    return manifest


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (
            lambda d: d["roots"][0].update(archive="/etc/hostname"),
            "is not where the manifest's template puts it",
        ),
        (
            lambda d: d.update(template="http://127.0.0.1:9/{pk}.jsonl"),
            "which is not where the manifest is",
        ),
        (
            lambda d: d.update(template="storage://default/{pk}.jsonl"),
            "which is not where the manifest is",
        ),
        (lambda d: d.update(template="/elsewhere/{name}.jsonl"), "which is no placeholder"),
    ],
)
def test_archives_a_manifest_cannot_send_the_import_to(
    world: World, exported: Path, change: Any, says: str
) -> None:
    before = every_table("other")
    with pytest.raises(ManifestError) as info:
        import_each(rewritten(exported, change), using="other")
    assert says in info.value.message
    assert every_table("other") == before


def test_an_import_the_database_refuses_is_tried_again(
    world: World, exported: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[Any] = []

    def refused_once(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        if len(calls) == 1:  # as when another import created a shared row meanwhile
            raise ImportWriteError("The database refused the import: duplicate key.")
        return import_archive(*args, **kwargs)

    monkeypatch.setattr(eachroot, "import_archive", refused_once)
    result = import_each(exported, using="other")
    assert len(result.done) == 2 and len(calls) == 3
