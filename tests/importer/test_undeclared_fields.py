"""Nothing in an archive or a fixture is dropped unread: a field nothing would store is refused.

A record may hold only the fields its header declares for its model (the
primary key excepted, which is the record's ``pk``); a field the header
declares and the installed model lacks is schema drift, refused unless the
import drops such fields explicitly (``ignore_missing_fields``), whatever
fingerprint the header claims. A fixture has no header: a field its model
does not have is refused unless ``ignore_missing_fields`` (as ``loaddata
--ignorenonexistent``), and a field that is no column (a reverse relation,
a generic foreign key) is refused always.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from django_graft import ArchiveFormatError, SchemaDriftError, import_archive
from tests.importer.tables import archive_of, rewrite
from tests.snapshots import every_table
from tests.testapp.world import World

pytestmark = pytest.mark.django_db(databases=["default", "other"])

Items = list[dict[str, Any]]


def refused(data: bytes, error: type[Exception] = ArchiveFormatError, **options: Any) -> str:
    before = every_table("other")
    with pytest.raises(error) as info:
        import_archive(io.BytesIO(data), using="other", **options)
    assert every_table("other") == before
    return str(info.value)


def line_of(data: bytes, label: str) -> tuple[int, dict[str, Any]]:
    """The line number and record of the first record of ``label``."""
    for number, line in enumerate(data.splitlines(), start=1):
        item = json.loads(line)
        if item.get("model") == label:
            return number, item
    raise AssertionError(f"no {label} record")


def undeclared(number: int, label: str, pk: Any, name: str) -> str:
    return (
        f"Line {number}: {label} {pk!r} holds a value for field {name!r}, which the "
        f"archive's header does not declare for {label} (a record holds the fields its "
        "header lists, the primary key excepted). Nothing of the archive is dropped "
        "unread: the archive was altered; export it again."
    )


def with_tag_field(name: str, value: Any) -> Any:
    def change(header: Any, items: Items) -> Any:
        next(item for item in items if item.get("model") == "testapp.tag")["fields"][name] = value
        return header, items

    return change


@pytest.fixture
def archive(world: World) -> bytes:
    return archive_of(world.projects[0])


@pytest.mark.parametrize("name", ["colour", "id", "projects"])
def test_a_field_the_header_does_not_declare_is_refused(
    archive: bytes, name: str, blocks: None
) -> None:
    edited = rewrite(archive, with_tag_field(name, 7))
    number, item = line_of(edited, "testapp.tag")
    assert refused(edited) == undeclared(number, "testapp.tag", item["pk"], name)


def test_the_key_as_a_field_is_refused_whatever_the_header_says(archive: bytes) -> None:
    def key_as_field(header: Any, items: Items) -> Any:
        header["models"]["testapp.tag"]["fields"]["id"].pop("pk")
        return with_tag_field("id", 7)(header, items)

    edited = rewrite(archive, key_as_field)
    number, item = line_of(edited, "testapp.tag")
    assert refused(edited) == undeclared(number, "testapp.tag", item["pk"], "id")


def test_a_field_the_model_lacks_is_refused_whatever_the_fingerprint_says(
    archive: bytes,
) -> None:
    """The header keeps the installed fingerprint, and declares one field more."""

    def declare_colour(header: Any, items: Items) -> Any:
        header["models"]["testapp.tag"]["fields"]["colour"] = {"type": "CharField"}
        next(item for item in items if item.get("model") == "testapp.tag")["fields"]["colour"] = "x"
        return header, items

    edited = rewrite(archive, declare_colour)
    assert refused(edited, SchemaDriftError) == (
        "The archive does not fit the installed models:\n"
        "  testapp.tag.colour is in the archive but no longer on the model\n"
        "Migrate the models to match the archive, or pass --ignore-missing-fields to drop "
        "the values of removed fields."
    )
    result = import_archive(io.BytesIO(edited), using="other", ignore_missing_fields=True)
    assert "testapp.tag.colour is in the archive but no longer on the model; its values are " \
        "dropped" in result.warnings  # fmt: skip


# -- fixtures -------------------------------------------------------------------------


def fixture(fields: dict[str, Any], pk: Any = 1, label: str = "testapp.tag") -> bytes:
    return json.dumps([{"model": label, "pk": pk, "fields": fields}]).encode()


def refused_fixture(data: bytes, **options: Any) -> str:
    return refused(data, format="json", **options)


def test_a_fixture_field_the_model_lacks_is_refused_unless_told(world: World) -> None:
    data = fixture({"name": "teal", "colour": "x"})
    assert refused_fixture(data) == (
        "Object 1 of the fixture (testapp.tag) has a field 'colour' the model does not have. "
        "Pass ignore_missing_fields (--ignore-missing-fields) to drop it."
    )
    result = import_archive(
        io.BytesIO(data), using="other", format="json", ignore_missing_fields=True
    )
    assert result.models["testapp.tag"].created + result.models["testapp.tag"].matched == 1


@pytest.mark.parametrize(
    ("label", "fields", "name"),
    [
        ("testapp.tag", {"name": "teal", "projects": [1]}, "projects"),
        ("testapp.organisation", {"name": "Teal", "notes": []}, "notes"),
        ("testapp.bookmark", {"owner": 1, "target": 1}, "target"),
    ],
    ids=["reverse relation", "generic relation", "generic foreign key"],
)
def test_a_fixture_field_that_is_no_column_is_refused(
    world: World, label: str, fields: dict[str, Any], name: str
) -> None:
    message = (
        f"Object 1 of the fixture ({label}) has a value for '{name}', which is not a "
        "column of the model (a reverse relation or a generic foreign key): nothing would "
        "store it. Give the column values instead (for a generic foreign key, its content "
        "type and object id)."
    )
    assert refused_fixture(fixture(fields, label=label)) == message
    assert refused_fixture(fixture(fields, label=label), ignore_missing_fields=True) == message


def test_a_fixture_that_gives_its_key_twice_is_refused(world: World) -> None:
    assert refused_fixture(fixture({"name": "teal", "id": 9}, pk=1)) == (
        "Object 1 of the fixture (testapp.tag) gives its key twice, as pk 1 and as field "
        "'id' 9. Keep one of them."
    )
