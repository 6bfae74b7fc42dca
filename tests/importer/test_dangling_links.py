"""Links to rows the archive does not carry are refused, for every kind of link.

An archive vouches only for the rows it carries: its records, and the rows
its reference records name. A link to any other row is refused by name
with nothing written, in keep and in remap mode, even where a row with
that key exists in the target database (it is someone else's row that
happens to share the key): plain foreign keys, links by ``to_field``,
columns a ``ForeignObject`` reads as a key, multi-table-inheritance parent
pointers and generic foreign keys alike.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from django.db.models import Model

from django_graft import ArchiveFormatError, delete, import_archive
from tests.importer.tables import archive_of, rewrite
from tests.snapshots import every_table
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db

Items = list[dict[str, Any]]


def not_carried(
    label: str, key: Any, link: str, target: str, value: Any, constraint: bool = True
) -> str:
    fix = (
        "The archive is damaged: export it again."
        if constraint
        else "The link has no foreign key constraint, so it may dangle where it was exported "
        "from: point it at a row (or clear it) there, and export again."
    )
    return (
        f"{label} {key!r}: {link} points at {target} {value!r}, which the archive does not "
        "carry (neither as a record nor as a reference). An import links only to rows the "
        f"archive vouches for, even where a row with that key exists here. {fix}"
    )


def first(items: Items, label: str) -> dict[str, Any]:
    return next(item for item in items if item.get("model") == label)


def deleted_tree(root: Model) -> bytes:
    """The archive of ``root``'s tree, which is then deleted: keep mode can write it back."""
    data = archive_of(root)
    delete(root)
    return data


def other_catalogue(world: World) -> tuple[Any, list[Any]]:
    roots = world.extra["catalogue roots"]
    theirs = m.Catalogue.objects.exclude(pk=roots["catalogue"].pk).get()
    return theirs, list(m.Entry.objects.filter(catalogue=theirs).order_by("number"))


def case_foreign_key(world: World) -> tuple[bytes, Callable[[Items], str]]:
    _, entries = other_catalogue(world)
    data = deleted_tree(world.extra["catalogue roots"]["catalogue"])

    def edit(items: Items) -> str:
        placement = first(items, "testapp.placement")
        placement["fields"]["entry"] = entries[0].pk
        return not_carried(
            "testapp.placement", placement["pk"], "entry", "testapp.entry", entries[0].pk
        )

    return data, edit


def case_to_field(world: World) -> tuple[bytes, Callable[[Items], str]]:
    theirs, _ = other_catalogue(world)
    code = m.Section.objects.get(catalogue=theirs).code
    data = deleted_tree(world.extra["catalogue roots"]["catalogue"])

    def edit(items: Items) -> str:
        placement = first(items, "testapp.placement")
        placement["fields"]["section"] = code
        return not_carried("testapp.placement", placement["pk"], "section", "testapp.section", code)

    return data, edit


def case_foreign_object_column(world: World) -> tuple[bytes, Callable[[Items], str]]:
    _, entries = other_catalogue(world)
    data = deleted_tree(world.extra["catalogue roots"]["catalogue"])

    def edit(items: Items) -> str:
        citation = first(items, "testapp.citation")
        citation["fields"]["entry_key"] = entries[1].pk
        return not_carried(
            "testapp.citation",
            citation["pk"],
            "entry_key",
            "testapp.entry",
            entries[1].pk,
            constraint=False,
        )

    return data, edit


def case_generic_foreign_key(world: World) -> tuple[bytes, Callable[[Items], str]]:
    theirs, _ = other_catalogue(world)
    data = deleted_tree(world.extra["catalogue roots"]["catalogue"])

    def edit(items: Items) -> str:
        sticker = next(
            item
            for item in items
            if item.get("model") == "testapp.sticker"
            and any(
                ref.get("ref") == "contenttypes.contenttype"
                and ref["pk"] == item["fields"]["content_type"]
                and ref["natural_key"] == ["testapp", "catalogue"]
                for ref in items
            )
        )
        sticker["fields"]["object_id"] = theirs.pk
        return not_carried(
            "testapp.sticker", sticker["pk"], "target", "testapp.catalogue", theirs.pk, False
        )

    return data, edit


def case_parent_pointer(world: World) -> tuple[bytes, Callable[[Items], str]]:
    """A car whose vehicle row is another one, which this database holds: not the archive's."""
    bike = m.Vehicle.objects.get(name="bike")
    data = deleted_tree(world.extra["catalogue roots"]["car (inherited child)"])

    def edit(items: Items) -> str:
        first(items, "testapp.car")["pk"] = bike.pk
        return not_carried("testapp.car", bike.pk, "vehicle_ptr", "testapp.vehicle", bike.pk)

    return data, edit


CASES = [
    case_foreign_key,
    case_to_field,
    case_foreign_object_column,
    case_generic_foreign_key,
    case_parent_pointer,
]


@pytest.mark.parametrize("pks", ["keep", "remap"])
@pytest.mark.parametrize("case", CASES, ids=[c.__name__[5:] for c in CASES])
def test_a_link_to_a_row_the_archive_does_not_carry_is_refused(
    world: World, case: Any, pks: str
) -> None:
    data, edit = case(world)
    expected: list[str] = []

    def change(header: Any, items: Items) -> Any:
        expected.append(edit(items))
        return header, items

    edited = rewrite(data, change)
    before = every_table()
    with pytest.raises(ArchiveFormatError) as dry:
        import_archive(io.BytesIO(edited), pks=pks, dry_run=True)
    with pytest.raises(ArchiveFormatError) as info:
        import_archive(io.BytesIO(edited), pks=pks)
    # The dry run refuses what the import refuses: a page showing it offers no
    # import that would fail.
    assert str(info.value) == str(dry.value) == expected[0]
    assert every_table() == before


@pytest.mark.parametrize("pks", ["keep", "remap"])
@pytest.mark.parametrize("case", CASES, ids=[c.__name__[5:] for c in CASES])
def test_the_same_archive_unedited_imports(world: World, case: Any, pks: str) -> None:
    data, _ = case(world)
    result = import_archive(io.BytesIO(data), pks=pks)
    assert sum(report.created for report in result.models.values()) > 0
