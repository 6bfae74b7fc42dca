from __future__ import annotations

import fractions
import gzip
import io
import sys
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.db.models import Model
from django.test import override_settings

from django_graft import Policy, export
from django_graft.archive.reader import read_archive
from django_graft.archive.schema import describe_model
from django_graft.exceptions import ArchiveError, ArchiveFormatError
from django_graft.schema.labels import resolve_model
from tests.queries import count_queries
from tests.testapp import models as m
from tests.testapp.world import World, sample_values

pytestmark = pytest.mark.django_db


def archive_of(roots: Any, **kwargs: Any) -> tuple[bytes, Any]:
    buffer = io.BytesIO()
    result = export(roots, buffer, **kwargs)
    return buffer.getvalue(), result


def records(data: bytes) -> list[dict[str, Any]]:
    return read_archive(io.BytesIO(data), keep_records=True).records


def decode(model: type[Model], name: str, value: Any) -> Any:
    """Read a field back the way an importer will: through the field's to_python."""
    field: Any = model._meta.get_field(name)
    if field.get_internal_type() == "BinaryField" and value is not None:
        import base64

        return base64.b64decode(value)
    return field.to_python(value)


def test_every_field_type_survives(world: World) -> None:
    data, _ = archive_of(world.projects[0])
    (sample,) = [r for r in records(data) if r.get("model") == "testapp.sample"]
    expected = sample_values(0)
    decoded = {name: decode(m.Sample, name, sample["fields"][name]) for name in expected}
    assert decoded == expected


def test_file_json_uuid_and_binary_fields(world: World) -> None:
    data, _ = archive_of(world.projects[0])
    (doc,) = [r for r in records(data) if r.get("model") == "testapp.document"]
    original = m.Document.objects.get(project=world.projects[0])
    assert doc["pk"] == str(original.pk)
    assert doc["fields"]["file"] == f"docs/{world.projects[0].pk}.txt"
    assert doc["fields"]["data"] == {"p": world.projects[0].pk}
    assert decode(m.Document, "payload", doc["fields"]["payload"]) == b"\x00doc"


def test_header_trailer_and_references(world: World) -> None:
    data, result = archive_of(world.org)
    summary = read_archive(io.BytesIO(data), keep_records=True)
    header = summary.header
    assert header["format"] == "django-graft" and header["version"] == 1
    assert header["roots"] == [{"model": "testapp.organisation", "pk": world.org.pk}]
    assert header["vendor"] == connection.vendor
    assert header["models"]["testapp.project"] == describe_model(m.Project)
    assert summary.sha256 == result.sha256
    assert summary.counts == result.counts
    assert sum(summary.counts.values()) == result.graph.total_rows
    refs = [r for r in summary.records if "ref" in r]
    assert {tuple(r["natural_key"]) for r in refs} == {
        ("testapp", "organisation"),
        ("testapp", "project"),
        ("testapp", "document"),
    }
    # Reference records come before every object record.
    kinds = ["ref" in r for r in summary.records]
    assert kinds == sorted(kinds, reverse=True)


def test_rows_come_parents_first(world: World) -> None:
    data, _ = archive_of(world.org)
    seen: set[tuple[str, Any]] = set()
    for record in records(data):
        if "ref" in record:
            continue
        model = resolve_model(record["model"])
        for field in model._meta.local_concrete_fields:
            value = record["fields"].get(field.name)
            if not field.is_relation or value is None or field.related_model is model:
                continue
            if field.null:
                continue  # a nullable edge may close a cycle, written later
            target = field.related_model._meta.label_lower  # type: ignore[union-attr]
            if target == "contenttypes.contenttype":
                continue
            assert (target, value) in seen, (record, target)
        pk = record["pk"]
        seen.add((record["model"], tuple(pk) if isinstance(pk, list) else pk))
    notes = [r for r in records(data) if r.get("model") == "testapp.note"]
    projects = [r for r in records(data) if r.get("model") == "testapp.project"]
    order = records(data)
    assert order.index(notes[0]) > order.index(projects[-1])


def test_masks_exclusions_and_skips(world: World) -> None:
    from django_graft import Policy

    policy = Policy(
        exclude_fields={"testapp.sample": ["blob"]},
        mask={"testapp.Person.username": lambda value: "x" * len(value)},
        edges={"testapp.task.assignee": "skip"},
    )
    data, _ = archive_of(world.projects[0], policy=policy)
    rows = records(data)
    sample = next(r for r in rows if r.get("model") == "testapp.sample")
    assert "blob" not in sample["fields"]
    assert {r["fields"]["username"] for r in rows if r.get("model") == "testapp.person"} == {
        "xxxxxxx"
    }
    assert all(r["fields"]["assignee"] is None for r in rows if r.get("model") == "testapp.task")


def test_small_batches_and_chunks_give_the_same_archive(world: World) -> None:
    def body(data: bytes) -> list[bytes]:
        return data.splitlines()[1:-1]  # the header holds a timestamp, the trailer its hash

    normal, _ = archive_of(world.org)
    with override_settings(GRAFT={"BATCH_SIZE": 3, "CHUNK_SIZE": 2}):
        small, _ = archive_of(world.org)
    assert body(small) == body(normal)


def test_gzip_by_file_name(world: World, tmp_path: Path) -> None:
    target = tmp_path / "org.jsonl.gz"
    result = export(world.org, target)
    with gzip.open(target, "rb") as stream:
        summary = read_archive(stream)  # type: ignore[arg-type]
    assert summary.sha256 == result.sha256
    assert [p.name for p in tmp_path.iterdir()] == ["org.jsonl.gz"]


def test_failure_leaves_no_file(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk full")

    monkeypatch.setattr(sys.modules["django_graft.operations.export"], "iter_records", broken)
    with pytest.raises(RuntimeError):
        export(world.org, tmp_path / "org.jsonl")
    assert list(tmp_path.iterdir()) == []


def _edit_name(lines: list[bytes]) -> list[bytes]:
    return [line.replace(b'"name":"Acme"', b'"name":"Acne"') for line in lines]


def _break_json(lines: list[bytes]) -> list[bytes]:
    return [*lines[:3], lines[3].replace(b'"', b"'", 2), *lines[4:]]


def _new_version(lines: list[bytes]) -> list[bytes]:
    return [lines[0].replace(b'"version":1', b'"version":7'), *lines[1:]]


@pytest.mark.parametrize(
    ("edit", "message", "line"),
    [
        (lambda lines: lines[:-1], "without a trailer: it is truncated", -2),
        (_break_json, "Line 4 is not valid JSON", 4),
        (_edit_name, "does not match the content: the archive was altered", -1),
        (_new_version, "version 7 is not supported", 1),
    ],
)
def test_reader_refuses_damaged_archives(world: World, edit: Any, message: str, line: int) -> None:
    data, _ = archive_of(world.org)
    lines = data.splitlines(keepends=True)
    damaged = edit(lines)
    assert damaged != lines
    with pytest.raises(ArchiveFormatError, match=message) as info:
        read_archive(io.BytesIO(b"".join(damaged)))
    assert info.value.line == (line if line > 0 else len(lines) + line + 1)


def test_reader_refuses_a_cut_line(world: World) -> None:
    data, _ = archive_of(world.org)
    with pytest.raises(ArchiveFormatError, match="cut short") as info:
        read_archive(io.BytesIO(data[:-10]))
    assert info.value.line == len(data.splitlines())


def test_export_query_count_does_not_grow(
    small_and_big: tuple[m.Organisation, m.Organisation],
) -> None:
    small, big = small_and_big
    assert count_queries(lambda: archive_of(small)) == count_queries(lambda: archive_of(big))


def test_custom_field_types_are_written_as_their_serializers_write_them(world: World) -> None:
    entry = m.Entry.objects.order_by("pk").first()
    assert entry is not None
    data, _ = archive_of(entry)
    (record,) = [
        r for r in records(data) if r.get("model") == "testapp.entry" and r["pk"] == entry.pk
    ]
    assert record["fields"]["words"] == "alpha,n0"  # value_to_string() of a list
    assert record["fields"]["share"] == "1/3"  # str() of a Fraction
    share: Any = m.Entry._meta.get_field("share")
    assert share.to_python(record["fields"]["share"]) == entry.share


def test_a_value_an_archive_cannot_hold_is_named(world: World) -> None:
    entry = m.Entry.objects.order_by("pk").first()
    assert entry is not None
    policy = Policy(mask={"testapp.Entry.number": lambda value: fractions.Fraction(value, 3)})
    with pytest.raises(ArchiveError) as info:
        archive_of(entry, policy=policy)
    assert str(info.value) == (
        f"testapp.entry {entry.pk}: field 'number' holds a value of type Fraction, which an "
        "archive cannot hold. Give the field a value_to_string() that returns text (as "
        "Django's serializers need), or mask it in the policy."
    )
