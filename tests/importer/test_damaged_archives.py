"""Damaged and inconsistent archives are refused by name, and nothing is written."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from django_graft import import_archive
from django_graft.exceptions import ArchiveFormatError
from django_graft.schema.labels import model_label
from tests.importer.tables import archive_of, rewrite
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db(databases=["default", "other"])

Lines = list[bytes]
Items = list[dict[str, Any]]


def every_table(using: str) -> dict[str, list[tuple[Any, ...]]]:
    return {
        model_label(model): sorted(model._base_manager.using(using).values_list(), key=repr)
        for model in apps.get_models(include_auto_created=True)
    }


# -- damage to the bytes: the reader refuses, with the line at fault ----------


def _cut_mid_line(lines: Lines) -> Lines:
    return [*lines[:5], lines[5][:10]]


def _cut_at_line(lines: Lines) -> Lines:
    return lines[:5]


def _no_header(lines: Lines) -> Lines:
    return lines[1:]


def _future_version(lines: Lines) -> Lines:
    return [lines[0].replace(b'"version":1', b'"version":2'), *lines[1:]]


def _edited_value(lines: Lines) -> Lines:
    return [line.replace(b'"name":"Acme"', b'"name":"Acne"') for line in lines]


def _edited_counts(lines: Lines) -> Lines:
    label = b'"testapp.organisation":'
    return [*lines[:-1], lines[-1].replace(label + b"1", label + b"2")]


def _after_trailer(lines: Lines) -> Lines:
    return [*lines, lines[1]]


def _bad_json(lines: Lines) -> Lines:
    return [*lines[:2], b'{"model": \n', *lines[3:]]


def _not_an_object(lines: Lines) -> Lines:
    return [*lines[:2], b"[1, 2, 3]\n", *lines[3:]]


def _not_utf8(lines: Lines) -> Lines:
    return [*lines[:2], lines[2].replace(b'"', b'"\xff\xfe', 1), *lines[3:]]


def _empty(lines: Lines) -> Lines:
    return []


BYTE_DAMAGE: list[tuple[Callable[[Lines], Lines], str, int]] = [
    (_cut_mid_line, "Line 6 is cut short: the archive is truncated", 6),
    (_cut_at_line, "ends at line 5 without a trailer", 5),
    (_no_header, "Line 1 is not a django-graft header", 1),
    (_future_version, "version 2 is not supported", 1),
    (_edited_value, "does not match the content: the archive was altered", -1),
    (_edited_counts, "counts in the trailer .* do not match", -1),
    (_after_trailer, "Data follows the trailer", 0),
    (_bad_json, "Line 3 is not valid JSON", 3),
    (_not_an_object, "Line 3 is not a JSON object", 3),
    (_not_utf8, "Line 3 is not valid JSON", 3),
    (_empty, "The archive is empty", 1),
]


@pytest.mark.parametrize(
    ("damage", "message", "line"), BYTE_DAMAGE, ids=[d.__name__[1:] for d, _, _ in BYTE_DAMAGE]
)
def test_damaged_bytes_are_refused_with_the_line(
    world: World, damage: Callable[[Lines], Lines], message: str, line: int, blocks: None
) -> None:
    lines = archive_of(world.org).splitlines(keepends=True)
    before = every_table("other")
    with pytest.raises(ArchiveFormatError, match=message) as info:
        import_archive(io.BytesIO(b"".join(damage(lines))), using="other", pks="remap")
    assert info.value.line == {-1: len(lines), 0: len(lines) + 1}.get(line, line)
    assert every_table("other") == before


# -- sealed archives whose content is wrong: refused before or during writing ---


def _records(items: Items, label: str) -> Items:
    return [item for item in items if item.get("model") == label]


def _unknown_model(header: Any, items: Items) -> Any:
    _records(items, "testapp.tag")[0]["model"] = "nowhere.ghost"
    return header, items


def _label_not_a_string(header: Any, items: Items) -> Any:
    _records(items, "testapp.tag")[0]["model"] = ["testapp", "tag"]
    return header, items


def _bad_role(header: Any, items: Items) -> Any:
    _records(items, "testapp.organisation")[0]["role"] = "borrowed"
    return header, items


def _fields_not_an_object(header: Any, items: Items) -> Any:
    _records(items, "testapp.organisation")[0]["fields"] = ["Acme"]
    return header, items


def _bad_key(header: Any, items: Items) -> Any:
    _records(items, "testapp.organisation")[0]["pk"] = "first"
    return header, items


def _duplicate(header: Any, items: Items) -> Any:
    return header, [*items, _records(items, "testapp.tag")[0]]


def _reference_without_key(header: Any, items: Items) -> Any:
    ref = next(item for item in items if "ref" in item)
    ref.pop("natural_key", None)
    ref.pop("match", None)
    return header, items


def _missing_value(header: Any, items: Items) -> Any:
    del _records(items, "testapp.project")[0]["fields"]["name"]
    return header, items


def _bad_datetime(header: Any, items: Items) -> Any:
    _records(items, "testapp.sample")[0]["fields"]["moment"] = "the day after tomorrow"
    return header, items


def _bad_decimal(header: Any, items: Items) -> Any:
    _records(items, "testapp.sample")[0]["fields"]["decimal"] = "a lot"
    return header, items


def _bad_integer(header: Any, items: Items) -> Any:
    _records(items, "testapp.sample")[-1]["fields"]["integer"] = "eleven"
    return header, items


def _bad_boolean(header: Any, items: Items) -> Any:
    _records(items, "testapp.sample")[-1]["fields"]["flag"] = "perhaps"
    return header, items


SEALED_DAMAGE: list[tuple[Callable[[Any, Items], Any], str]] = [
    (_unknown_model, "names model 'nowhere.ghost', which is not installed"),
    (_label_not_a_string, "the model label must be a string"),
    (_bad_role, "role 'borrowed' is not one of own, need"),
    (_fields_not_an_object, "'fields' must be a JSON object"),
    (_bad_key, "'first' is not a valid primary key for testapp.organisation"),
    (_duplicate, r"testapp\.tag \d+ appears twice in the archive"),
    (_reference_without_key, "a reference record needs a 'natural_key' list or a 'match'"),
    (_missing_value, r"testapp\.project \d+ has no value for field 'name'"),
    (_bad_datetime, "'the day after tomorrow' is not a valid value for field 'moment'"),
    (_bad_decimal, "'a lot' is not a valid value for field 'decimal'"),
    (_bad_integer, "'eleven' is not a valid value for field 'integer'"),
    (_bad_boolean, "'perhaps' is not a valid value for field 'flag'"),
]


@pytest.mark.parametrize("pks", ["keep", "remap"])
@pytest.mark.parametrize(
    ("change", "message"), SEALED_DAMAGE, ids=[c.__name__[1:] for c, _ in SEALED_DAMAGE]
)
def test_wrong_content_is_refused_by_name(
    world: World, change: Callable[[Any, Items], Any], message: str, pks: str, keys_placed: None
) -> None:
    data = rewrite(archive_of(world.org), change)
    before = every_table("other")
    with pytest.raises(ArchiveFormatError, match=message):
        import_archive(io.BytesIO(data), using="other", pks=pks)
    assert every_table("other") == before


#: Damage to one record, and bytes only the damaged line holds.
RECORD_DAMAGE: list[tuple[Callable[[Any, Items], Any], bytes]] = [
    (_unknown_model, b'"model":"nowhere.ghost"'),
    (_label_not_a_string, b'"model":["testapp","tag"]'),
    (_bad_role, b'"role":"borrowed"'),
    (_fields_not_an_object, b'"fields":["Acme"]'),
    (_bad_key, b'"pk":"first"'),
]


@pytest.mark.parametrize(
    ("change", "marker"), RECORD_DAMAGE, ids=[c.__name__[1:] for c, _ in RECORD_DAMAGE]
)
def test_a_damaged_record_is_named_at_its_line(
    world: World, change: Callable[[Any, Items], Any], marker: bytes, blocks: None
) -> None:
    data = rewrite(archive_of(world.org), change)
    # The oracle: the archive's own lines, read as bytes.
    damaged = next(n for n, line in enumerate(data.splitlines(), 1) if marker in line)
    before = every_table("other")
    with pytest.raises(ArchiveFormatError, match=rf"Line {damaged}\b") as info:
        import_archive(io.BytesIO(data), using="other", pks="remap")
    assert info.value.line == damaged
    assert every_table("other") == before


@pytest.mark.parametrize("batch", [4_096, 2], ids=["keys checked at the end", "two at a time"])
@pytest.mark.parametrize("where", ["among its model's first lines", "after them"])
def test_a_row_read_twice_is_named_at_its_second_line(
    world: World, where: str, batch: int, keys_placed: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Integer keys are checked a batch at a time: the second line is named either way.
    monkeypatch.setattr("django_graft.importer.source.FRESH", batch)

    def twice(header: Any, items: Items) -> Any:
        tags = _records(items, "testapp.tag")
        again = tags[0] if where == "after them" else tags[1]
        at = items.index(tags[2]) if where != "after them" else len(items)
        return header, [*items[:at], dict(again), *items[at:]]

    data = rewrite(archive_of(world.org), twice)
    # The oracle: the archive's own lines, read as text.
    lines = data.decode().splitlines()
    tag_lines = [n for n, line in enumerate(lines, 1) if '"model":"testapp.tag"' in line]
    firsts: dict[str, int] = {}
    second = next(
        n
        for n in tag_lines
        if firsts.setdefault(lines[n - 1].split('"pk":')[1].split(",")[0], n) != n
    )
    before = every_table("other")
    with pytest.raises(ArchiveFormatError, match=rf"Line {second}: testapp\.tag \d+ appears twice"):
        import_archive(io.BytesIO(data), using="other", pks="remap")
    assert every_table("other") == before


@pytest.mark.parametrize("batch", [4_096, 2], ids=["keys checked at the end", "two at a time"])
@pytest.mark.parametrize("first", ["repeat", "other damage"])
def test_of_two_damages_the_earlier_line_is_named(
    world: World, first: str, batch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A repeated key waits for its batch to be checked; it is still named
    # when it comes first, and a damage before it still is when that does.
    monkeypatch.setattr("django_graft.importer.source.FRESH", batch)

    def two(header: Any, items: Items) -> Any:
        tags = _records(items, "testapp.tag")
        at = items.index(tags[1])
        items = [*items[:at], dict(tags[0]), *items[at:]]
        records = [i for i, item in enumerate(items) if "model" in item]
        damaged = records[-1] if first == "repeat" else records[0]
        items[damaged] = {**items[damaged], "role": "bogus"}
        return header, items

    data = rewrite(archive_of(world.org), two)
    before = every_table("other")
    with pytest.raises(ArchiveFormatError) as caught:
        import_archive(io.BytesIO(data), using="other", pks="remap")
    named = "appears twice" if first == "repeat" else "bogus"
    assert named in str(caught.value)
    assert every_table("other") == before


@pytest.mark.parametrize("pks", ["keep", "remap"])
def test_a_link_to_a_row_the_archive_lacks_is_refused(world: World, pks: str) -> None:
    # A person of this database, not of the archive: the link must not land on it.
    stranger = m.Person.objects.using("other").create(pk=10_000, username="stranger")

    def dangle(header: Any, items: Items) -> Any:
        _records(items, "testapp.task")[0]["fields"]["assignee"] = stranger.pk
        return header, items

    before = every_table("other")
    with pytest.raises(ArchiveFormatError, match=r"assignee points at testapp\.person \d+, which"):
        import_archive(io.BytesIO(rewrite(archive_of(world.org), dangle)), using="other", pks=pks)
    assert every_table("other") == before


def test_the_command_names_the_damage_and_fails(world: World, tmp_path: Path) -> None:
    lines = archive_of(world.org).splitlines(keepends=True)
    damaged = tmp_path / "damaged.jsonl"
    damaged.write_bytes(b"".join(_cut_mid_line(lines)))
    before = every_table("other")
    # CommandError: Django prints the message, no traceback, and exits with status 1.
    with pytest.raises(CommandError, match="Line 6 is cut short"):
        call_command("graft_import", str(damaged), database="other", stdout=io.StringIO())
    assert every_table("other") == before


def test_a_bad_value_is_named_on_the_one_row_at_a_time_path(world: World) -> None:
    from unittest import mock

    from django.db import connections

    data = rewrite(archive_of(world.org), _bad_integer)
    features = type(connections["other"].features)
    no_returning = mock.PropertyMock(return_value=False)
    before = every_table("other")
    with (
        mock.patch.object(features, "can_return_rows_from_bulk_insert", no_returning),
        pytest.raises(
            ArchiveFormatError, match=r"'eleven' is not a valid value for field 'integer'"
        ),
    ):
        import_archive(io.BytesIO(data), using="other", pks="remap")
    assert every_table("other") == before
