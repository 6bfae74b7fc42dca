"""Rows a database finds by its own comparison of text are paired with the values asked for."""

from __future__ import annotations

import io

import pytest

from django_graft import import_archive
from django_graft.db.collation import Pairing, loose
from django_graft.exceptions import ConflictError
from django_graft.importer.matching import find_by_fields
from tests.importer.tables import archive_of
from tests.settings import TEST_DB
from tests.snapshots import every_table
from tests.testapp import models as m
from tests.testapp.world import World

#: The tests' MariaDB compares text with utf8mb4_unicode_ci; the others exactly.
IGNORES_CASE = TEST_DB == "mariadb"


def test_loose_drops_case_accents_and_trailing_spaces() -> None:
    assert loose(("Émile ", 3)) == loose(("emile", 3)) == ("emile", 3)
    assert loose("Straße") == loose("STRASSE")
    assert loose("a b") != loose("ab")


def test_exact_values_pair_exactly_and_others_loosely() -> None:
    pair = Pairing({("Acme",), ("acme corp",)})
    assert pair(("Acme",)) == ("Acme",)
    assert pair(("ACME ",)) == ("Acme",)
    assert pair(("Globex",)) is None


@pytest.mark.django_db(databases=["default", "other"])
def test_a_unique_value_taken_in_another_case_is_a_conflict_where_the_database_says_so(
    world: World,
) -> None:
    m.Organisation.objects.using("other").create(name=world.org.name.upper())
    data = archive_of(world.org)
    if not IGNORES_CASE:
        import_archive(io.BytesIO(data), using="other", pks="remap")
        return
    before = every_table("other")
    with pytest.raises(ConflictError) as caught:
        import_archive(io.BytesIO(data), using="other", pks="remap")
    assert [(c.label, c.field) for c in caught.value.conflicts] == [
        ("testapp.organisation", "name")
    ]
    assert every_table("other") == before


@pytest.mark.django_db(databases=["default", "other"])
def test_matching_finds_a_row_the_database_calls_equal(world: World) -> None:
    existing = m.Tag.objects.using("other").create(name="URGENT")
    found = find_by_fields(m.Tag, ["name"], [("urgent",)], "other")
    assert found == ({("urgent",): existing.pk} if IGNORES_CASE else {})
