"""References are found by natural key or by the fields the import declares, never the archive's.

A reference record names a row the archive points at but does not carry,
by natural key or by match fields. Fields of the archive's choosing would
let an archive ask whether any row holds any value: a reference found by
fields other than those the policy (or ``--match``) declares for its model
is refused by name, with the fix, and nothing written.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from django_graft import ArchiveFormatError, Policy, import_archive
from tests.importer.tables import archive_of, rewrite
from tests.snapshots import every_table
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db

#: People are referenced, found by username.
BY_USERNAME = Policy(reference=["testapp.Person"], match={"testapp.Person": ["username"]})


def person_references(data: bytes) -> dict[int, dict[str, Any]]:
    """{line number: reference record} of the people an archive references."""
    return {
        number: item
        for number, line in enumerate(data.splitlines(), start=1)
        for item in (json.loads(line),)
        if item.get("ref") == "testapp.person"
    }


def with_person_match(data: bytes, match: Any) -> bytes:
    """The archive with every person reference found by ``match(reference)`` instead."""

    def change(header: Any, items: list[dict[str, Any]]) -> Any:
        for item in items:
            if item.get("ref") == "testapp.person":
                item["match"] = match(item)
        return header, items

    return rewrite(data, change)


def refused(data: bytes, **options: Any) -> str:
    before = every_table()
    with pytest.raises(ArchiveFormatError) as info:
        import_archive(io.BytesIO(data), **options)
    assert every_table() == before
    return str(info.value)


@pytest.fixture
def archive(world: World) -> bytes:
    data = archive_of(world.projects[0], policy=BY_USERNAME)
    assert person_references(data)
    assert all(set(ref["match"]) == {"username"} for ref in person_references(data).values())
    m.Project.objects.filter(pk=world.projects[0].pk).delete()
    return data


def first_reference(data: bytes) -> tuple[int, dict[str, Any]]:
    return min(person_references(data).items())


def test_references_by_the_declared_fields_are_found(archive: bytes) -> None:
    result = import_archive(io.BytesIO(archive), policy=BY_USERNAME)
    assert result.models["testapp.project"].created == 1


def test_match_on_the_command_line_declares_them_too(archive: bytes) -> None:
    result = import_archive(io.BytesIO(archive), match={"testapp.Person": ["username"]})
    assert result.models["testapp.project"].created == 1


def test_fields_the_import_does_not_declare_are_refused(archive: bytes) -> None:
    line, ref = first_reference(archive)
    assert refused(archive) == (
        f"Line {line}: the reference to testapp.person {ref['pk']!r} is to be found by "
        "field(s) username, but this import declares none for testapp.person. A reference "
        "is found by its natural key or by the fields the import declares, never by fields "
        "the archive chooses. If those fields are the right ones, declare them: --match "
        "testapp.Person:username (or the policy's match)."
    )


@pytest.mark.parametrize(
    ("match", "names"),
    [
        (lambda ref: {"country": "fr"}, "country"),
        (lambda ref: {**ref["match"], "country": "fr"}, "country, username"),
        (lambda ref: {"id": ref["pk"]}, "id"),
    ],
    ids=["other field", "one field more", "the key"],
)
def test_fields_the_archive_chooses_are_refused(archive: bytes, match: Any, names: str) -> None:
    edited = with_person_match(archive, match)
    line, ref = first_reference(edited)
    assert refused(edited, policy=BY_USERNAME) == (
        f"Line {line}: the reference to testapp.person {ref['pk']!r} is to be found by "
        f"field(s) {names}, but this import declares username for testapp.person. A "
        "reference is found by its natural key or by the fields the import declares, never "
        "by fields the archive chooses. If those fields are the right ones, declare them: "
        f"--match testapp.Person:{names.replace(' ', '')} (or the policy's match)."
    )


def test_a_natural_key_of_a_model_without_one_is_refused(archive: bytes) -> None:
    def country_by_natural_key(header: Any, items: list[dict[str, Any]]) -> Any:
        return header, [{"ref": "testapp.country", "pk": "fr", "natural_key": ["fr"]}, *items]

    edited = rewrite(archive, country_by_natural_key)
    assert refused(edited, policy=BY_USERNAME) == (
        "Line 2: the reference to testapp.country 'fr' is to be found by natural key, but "
        "testapp.country has no natural_key() and get_by_natural_key(). Find it by the "
        "fields the import declares: --match testapp.Country:FIELD[,FIELD...] (or the "
        "policy's match)."
    )
