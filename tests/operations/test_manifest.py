"""A manifest read back is untrusted: what does not fit is refused by name, nothing written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from django_graft.exceptions import ManifestError
from django_graft.operations import manifest as manifests
from django_graft.operations.each import export_each
from django_graft.operations.manifest import read_manifest
from tests.snapshots import every_table
from tests.testapp.world import World

pytestmark = pytest.mark.django_db

SHA = "0" * 64


def header(**changes: Any) -> dict[str, Any]:
    return {
        "format": "django-graft-manifest",
        "version": 1,
        "operation": "export",
        "template": "TEMPLATE",
        "database": "default",
        "roots": [],
        **changes,
    }


def root(**changes: Any) -> dict[str, Any]:
    entry = {
        "model": "testapp.organisation",
        "pk": 1,
        "archive": "a.jsonl",
        "outcome": "done",
        "sha256": SHA,
        "finished_at": "2026-12-03T00:00:00+00:00",
    }
    return {k: v for k, v in {**entry, **changes}.items() if v is not ...}


HOSTILE = {
    "not JSON": b"{not json",
    "not an object": b"[]",
    "another format": header(format="something"),
    "another version": header(version=2),
    "another operation": header(operation="delete"),
    "another template": header(template="elsewhere/{pk}.jsonl"),
    "roots not a list": header(roots={"a": 1}),
    "a root not an object": header(roots=[1]),
    "an outcome unknown": header(roots=[root(outcome="maybe")]),
    "a key that is a boolean": header(roots=[root(pk=True)]),
    "a key past 64 bits": header(roots=[root(pk=2**64)]),
    "a key that is an object": header(roots=[root(pk={"a": 1})]),
    "a sha256 that is not one": header(roots=[root(sha256="xyz")]),
    "done without a sha256": header(roots=[root(sha256=...)]),
    "counts not numbers": header(roots=[root(counts={"a": "1"})]),
    "negative counts": header(roots=[root(counts={"a": -1})]),
    "no archive": header(roots=[root(archive=...)]),
    "an error not text": header(roots=[root(outcome="failed", sha256=..., error=[1])]),
    "nested too deep": b"[" * 100_000 + b"]" * 100_000,
}

SAYS = {
    "not JSON": "it is not JSON",
    "another operation": "is the manifest of 'delete'",
    "another template": "Give this run another --manifest",
    "a key past 64 bits": "root 1: pk",
    "done without a sha256": "root 1: a root done has the sha256",
}


@pytest.mark.parametrize("case", HOSTILE, ids=str)
def test_hostile_manifests_are_refused_with_nothing_written(
    world: World, tmp_path: Path, case: str
) -> None:
    template = str(tmp_path / "{pk}.jsonl")
    given = HOSTILE[case]
    raw = given if isinstance(given, bytes) else json.dumps(given).replace("TEMPLATE", template)
    path = tmp_path / "manifest.json"
    path.write_bytes(raw if isinstance(raw, bytes) else raw.encode())
    before = every_table()
    with pytest.raises(ManifestError) as info:
        export_each(world.org, template, manifest=path)
    assert info.value.message.startswith(f"'{path}'")
    assert SAYS.get(case, "") in info.value.message
    assert info.value.location == str(path)
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.json"]
    assert path.read_bytes() == (raw if isinstance(raw, bytes) else raw.encode())
    assert every_table() == before


def test_a_manifest_too_large_is_refused_unread(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(manifests, "MAX_BYTES", 100)
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(header(roots=[root()] * 5)))
    with pytest.raises(ManifestError, match="larger than a manifest can be"):
        export_each(world.org, tmp_path / "{pk}.jsonl", manifest=path)


def test_read_manifest_gives_checked_entries(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(header(roots=[root(), root(pk="b", outcome="failed", sha256=...)])))
    data = read_manifest(str(path))
    assert [(entry.pk, entry.outcome) for entry in data["roots"]] == [(1, "done"), ("b", "failed")]
    with pytest.raises(ManifestError, match="There is no manifest at"):
        read_manifest(str(tmp_path / "absent.json"))


def test_hostile_started_entries_and_strings_of_a_delete_run(world: World, tmp_path: Path) -> None:
    from django_graft.operations.each import delete_each

    template = str(tmp_path / "{pk}.jsonl")
    path = tmp_path / "manifest.json"
    odd = [
        root(pk="abc", outcome="started", sha256=..., started_at="2026-12-03T00:00:00+00:00"),
        root(pk=[1, 2], outcome="started", sha256=..., started_at="2026-12-03T00:00:00+00:00"),
        root(pk=7, outcome="failed", sha256=..., error="\ud800", archive="\udc80.jsonl"),
    ]
    path.write_text(json.dumps(header(operation="delete", roots=odd)).replace("TEMPLATE", template))
    result = delete_each([world.org], template, manifest=path)
    assert [e.error for e in result.failed] == [
        "'abc' is not a key of testapp.organisation.",
        "[1, 2] is not a key of testapp.organisation.",
    ]
    assert [e.pk for e in result.done] == [world.org.pk]
    saved = json.loads(path.read_text())
    assert saved["roots"][2]["error"] == "\ud800"  # kept as it was, and saved
