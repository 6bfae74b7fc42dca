"""One archive per root, with a manifest; a rerun skips what the manifest has done."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from django_graft import export, import_archive
from django_graft.exceptions import DestinationError, ManifestError
from django_graft.operations import eachroot
from django_graft.operations.each import delete_each, export_each
from django_graft.operations.importeach import import_each
from tests.snapshots import every_table
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db(databases=["default", "other"])


def records(path: Path) -> list[dict[str, Any]]:
    """The object and reference records of an archive, without header and trailer."""
    return [json.loads(line) for line in path.read_text().splitlines()[1:-1]]


def trailer_hash(path: Path) -> str:
    """The sha256 of every line before the trailer, computed here."""
    lines = path.read_bytes().splitlines(keepends=True)
    return hashlib.sha256(b"".join(lines[:-1])).hexdigest()


def manifest_of(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text()))


def test_each_root_gets_the_archive_an_export_of_it_alone_gets(
    world: World, tmp_path: Path
) -> None:
    orgs = m.Organisation.objects.order_by("pk")
    result = export_each(orgs, tmp_path / "{label}-{pk}.jsonl")
    assert [(e.model, e.pk) for e in result.done] == [
        ("testapp.organisation", org.pk) for org in orgs
    ]
    assert result.manifest == f"{tmp_path}/graft-manifest.json"
    manifest = manifest_of(tmp_path / "graft-manifest.json")
    assert manifest["operation"] == "export"
    assert manifest["database"] == "default"
    for org, entry in zip(orgs, manifest["roots"], strict=True):
        path = tmp_path / f"testapp.organisation-{org.pk}.jsonl"
        alone = tmp_path / "alone.jsonl"
        export(org, alone)
        assert records(path) == records(alone)
        assert entry["archive"] == str(path)
        assert entry["outcome"] == "done"
        assert entry["sha256"] == trailer_hash(path)
        assert sum(entry["counts"].values()) == len([r for r in records(path) if "model" in r])


def test_each_archive_restores_its_root(world: World, tmp_path: Path) -> None:
    export_each([world.org, world.other_org], tmp_path / "{model}/{pk}.jsonl.gz")
    before = every_table(using="other")
    import_archive(tmp_path / "organisation" / f"{world.org.pk}.jsonl.gz", using="other")
    assert m.Organisation.objects.using("other").get().name == "Acme"
    assert every_table(using="other") != before


def test_a_root_that_fails_is_recorded_and_the_others_go_on(
    world: World, tmp_path: Path, settings: Any
) -> None:
    small = m.Organisation.objects.create(name="Small")
    settings.GRAFT = {"MAX_ROWS": 5}
    result = export_each(
        [world.org, small, world.other_org], tmp_path / "{pk}.jsonl", manifest=tmp_path / "m.json"
    )
    assert [e.pk for e in result.done] == [small.pk]
    assert [e.pk for e in result.failed] == [world.org.pk, world.other_org.pk]
    assert "GRAFT['MAX_ROWS']" in (result.failed[0].error or "")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["m.json", f"{small.pk}.jsonl"])
    entries = manifest_of(tmp_path / "m.json")["roots"]
    assert [e["outcome"] for e in entries] == ["failed", "done", "failed"]
    assert "sha256" not in entries[0]

    # Run again, with room enough: the root done is skipped, the others are retried.
    first = (tmp_path / f"{small.pk}.jsonl").read_bytes()
    settings.GRAFT = {}
    again = export_each(
        [world.org, small, world.other_org], tmp_path / "{pk}.jsonl", manifest=tmp_path / "m.json"
    )
    assert [e.pk for e in again.skipped] == [small.pk]
    assert [e.pk for e in again.done] == [world.org.pk, world.other_org.pk]
    assert again.failed == []
    assert (tmp_path / f"{small.pk}.jsonl").read_bytes() == first  # not written again
    entries = manifest_of(tmp_path / "m.json")["roots"]
    assert [e["outcome"] for e in entries] == ["done", "done", "done"]
    assert len(entries) == 3


def test_an_interrupted_run_keeps_what_it_did(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = eachroot.export_root
    calls = []

    def interrupted_on_the_second(*args: Any) -> Any:
        calls.append(args)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setitem(eachroot.ONE_ROOT, "export", interrupted_on_the_second)
    with pytest.raises(KeyboardInterrupt):
        export_each([world.org, world.other_org], tmp_path / "{pk}.jsonl")
    entries = manifest_of(tmp_path / "graft-manifest.json")["roots"]
    assert [(e["pk"], e["outcome"]) for e in entries] == [(world.org.pk, "done")]

    monkeypatch.setitem(eachroot.ONE_ROOT, "export", real)
    result = export_each([world.org, world.other_org], tmp_path / "{pk}.jsonl")
    assert [e.pk for e in result.skipped] == [world.org.pk]
    assert [e.pk for e in result.done] == [world.other_org.pk]


def test_archives_and_manifest_in_object_stores(world: World, store: Any) -> None:
    bucket = store.new_bucket()
    result = export_each(
        m.Organisation.objects.order_by("pk"), store.url(bucket, "tenants/{pk}.jsonl.zst")
    )
    assert result.manifest == store.url(bucket, "tenants/graft-manifest.json")
    names = sorted(store.keys(bucket))
    assert names == sorted(
        ["tenants/graft-manifest.json"]
        + [f"tenants/{org.pk}.jsonl.zst" for org in m.Organisation.objects.all()]
    )
    manifest = json.loads(store.read(bucket, "tenants/graft-manifest.json"))
    assert [e["outcome"] for e in manifest["roots"]] == ["done", "done"]
    again = export_each(
        m.Organisation.objects.order_by("pk"), store.url(bucket, "tenants/{pk}.jsonl.zst")
    )
    assert len(again.skipped) == 2 and again.done == []


def test_two_roots_in_one_place_are_refused_before_anything_is_done(
    world: World, tmp_path: Path
) -> None:
    tag = m.Tag.objects.create(pk=world.org.pk + 5000, name="same key")
    org = m.Organisation.objects.create(pk=tag.pk, name="Same")
    before = every_table()
    with pytest.raises(DestinationError) as info:
        export_each([org, tag], tmp_path / "{pk}.jsonl")
    assert info.value.message.startswith(
        f"testapp.tag {tag.pk} and testapp.organisation {org.pk} would both be written to "
    )
    with pytest.raises(DestinationError, match="would both be written"):
        export_each([org], tmp_path / "{pk}.jsonl", manifest=tmp_path / f"{org.pk}.jsonl")
    assert list(tmp_path.iterdir()) == []
    assert every_table() == before
    export_each([org, tag], tmp_path / "{label}-{pk}.jsonl")  # the label sets them apart


def test_a_root_that_cannot_be_written_fails_and_the_others_go_on(
    world: World, tmp_path: Path
) -> None:
    long = tmp_path / ("x" * 300 + "{pk}.jsonl")  # longer than a file name may be
    result = export_each([world.org, world.other_org], long, manifest=tmp_path / "m.json")
    assert len(result.failed) == 2
    assert "cannot be written" in (result.failed[0].error or "")


def test_a_rerun_on_another_database_is_refused(world: World, tmp_path: Path) -> None:
    export_each([world.org], tmp_path / "{pk}.jsonl")
    with pytest.raises(ManifestError, match="on the database 'default', not of 'export'"):
        export_each({m.Organisation: [world.org.pk]}, tmp_path / "{pk}.jsonl", using="other")


def test_local_templates_are_made_absolute(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = export_each([world.org], "out/{pk}.jsonl")
    assert result.manifest == f"{tmp_path}/out/graft-manifest.json"
    assert result.done[0].archive == f"{tmp_path}/out/{world.org.pk}.jsonl"


def test_keys_of_every_type_each_get_an_archive(tmp_path: Path) -> None:
    import datetime
    import decimal

    from tests.testapp import boards, constructs

    roots = [
        boards.Sketch.objects.create(),
        constructs.Edition.objects.create(day=datetime.date(2026, 12, 3), title="e"),
        constructs.Release.objects.create(
            at=datetime.datetime(2026, 12, 3, 4, 5, tzinfo=datetime.timezone.utc), title="r"
        ),
        constructs.Grade.objects.create(value=decimal.Decimal("1.50"), name="g"),
        constructs.Region.objects.create(code="Acme", name="a"),
    ]
    if connection.vendor != "mysql":  # MariaDB compares text keys without case
        roots.append(constructs.Region.objects.create(code="acme", name="b"))
    template = tmp_path / "{label}-{pk}.jsonl"
    result = export_each(roots, template)
    assert len(result.done) == len(roots) and result.failed == []
    manifest = manifest_of(tmp_path / "graft-manifest.json")
    keys = [str(roots[0].pk), "2026-12-03", "2026-12-03T04:05:00+00:00", "1.50", "Acme", "acme"]
    assert [e["pk"] for e in manifest["roots"]] == keys[: len(roots)]
    again = export_each(roots, template)
    assert len(again.skipped) == len(roots)
    imported = import_each(tmp_path / "graft-manifest.json", using="other")
    assert len(imported.done) == len(roots) and imported.failed == []
    removed = delete_each(roots, tmp_path / "gone" / "{label}-{pk}.jsonl")
    assert len(removed.done) == len(roots) and removed.failed == []


def test_dots_after_a_placeholder_cannot_join_two_roots(world: World, tmp_path: Path) -> None:
    with pytest.raises(DestinationError, match="would both be written"):
        export_each([world.org, world.other_org], str(tmp_path) + "/{pk}/../one.jsonl")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("manifest", "says"),
    [("-", "must be read back"), ("a\0b", "must be read back"), ("folder", "is a folder")],
)
def test_places_a_manifest_cannot_be_kept_at(
    world: World, tmp_path: Path, manifest: str, says: str
) -> None:
    (tmp_path / "folder").mkdir()
    place = manifest if manifest == "-" else str(tmp_path / manifest)
    with pytest.raises(ManifestError, match=says):
        export_each([world.org], tmp_path / "{pk}.jsonl", manifest=place)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder"]
