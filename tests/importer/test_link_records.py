"""Link records put back only what a delete wrote: every other record is refused by name.

A delete that archives first records, for each row outside the tree whose
foreign key it sets, the value before and the value written. These tests
make archives by deleting with an archive, then edit their link records by
hand (re-sealing them), and check that each edit the delete could not have
written is refused with its model, key, field, reason and fix, and that
every table is left as it was.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Model

from django_graft import ArchiveFormatError, ConflictError, delete, import_archive
from tests.importer.tables import rewrite
from tests.snapshots import every_table
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db

FIX = (
    "A link record may only put back a link a delete cleared; nothing was written. "
    "Import an archive that the delete of these rows wrote, or remove the record."
)


def deleted_with_archive(root: Model, tmp_path: Path) -> bytes:
    path = tmp_path / "deleted.jsonl"
    delete(root, archive=path)
    return path.read_bytes()


def link_lines(data: bytes) -> dict[int, dict[str, Any]]:
    """{line number: link record} of an archive."""
    return {
        number: item
        for number, line in enumerate(data.splitlines(), start=1)
        for item in (json.loads(line),)
        if "link" in item
    }


def with_links(data: bytes, *links: dict[str, Any]) -> bytes:
    """The archive with its link records replaced by ``links``."""

    def change(header: Any, items: list[dict[str, Any]]) -> Any:
        return header, [item for item in items if "link" not in item] + list(links)

    return rewrite(data, change)


def refused(data: bytes, error: type[Exception] = ArchiveFormatError, **options: Any) -> str:
    """Import ``data``, which must be refused with nothing written; return the message."""
    before = every_table()
    with pytest.raises(error) as info:
        import_archive(io.BytesIO(data), **options)
    assert every_table() == before
    return str(info.value)


def only_link_line(data: bytes) -> int:
    (number,) = link_lines(data)
    return number


@pytest.fixture
def project_deleted(world: World, tmp_path: Path) -> tuple[m.Project, m.Audit, bytes]:
    """The first project deleted with an archive; the audit whose link the delete cleared."""
    audit = m.Audit.objects.get()
    project = world.projects[0]
    data = deleted_with_archive(project, tmp_path)
    return project, audit, data


# -- what a delete writes is put back ------------------------------------------


def test_every_link_record_a_delete_writes_says_what_it_wrote(world: World, tmp_path: Path) -> None:
    data = deleted_with_archive(world.extra["fr"], tmp_path)
    links = list(link_lines(data).values())
    shipment = m.Shipment.objects.get()
    people = sorted(p.pk for p in world.people)
    # SET_DEFAULT with a default that is a function: called once, recorded as written.
    assert {"link": "testapp.shipment", "pk": shipment.pk, "fields": {"country": "fr"},
            "after": {"country": None}} in links  # fmt: skip
    assert sorted(link["pk"] for link in links if link["link"] == "testapp.person") == people
    assert all(set(link["after"]) == set(link["fields"]) for link in links)
    before_import = every_table()
    result = import_archive(io.BytesIO(data))
    assert every_table() != before_import
    assert m.Shipment.objects.get().country_id == "fr"
    assert result.relinked == {"testapp.person": 6, "testapp.shipment": 1}


def test_a_set_null_link_is_put_back(project_deleted: tuple[m.Project, m.Audit, bytes]) -> None:
    project, audit, data = project_deleted
    result = import_archive(io.BytesIO(data))
    audit.refresh_from_db()
    assert audit.project_id == project.pk
    assert result.relinked["testapp.audit"] == 1


def test_a_link_set_by_an_on_delete_function_is_put_back(world: World, tmp_path: Path) -> None:
    catalogue = world.extra["catalogue roots"]["catalogue"]
    hold = m.Hold.objects.get(entry__catalogue=catalogue)
    entry = hold.entry_id
    data = deleted_with_archive(catalogue, tmp_path)
    assert {"link": "testapp.hold", "pk": hold.pk, "fields": {"entry": entry},
            "after": {"entry": None}} in link_lines(data).values()  # fmt: skip
    import_archive(io.BytesIO(data))
    hold.refresh_from_db()
    assert hold.entry_id == entry


# -- records no delete writes ------------------------------------------------------


def test_a_foreign_key_that_cascades_is_refused(
    world: World, project_deleted: tuple[m.Project, m.Audit, bytes]
) -> None:
    project, _, data = project_deleted
    theirs = m.Membership.objects.filter(project__organisation=world.other_org).first()
    assert theirs is not None
    link = {"link": "testapp.membership", "pk": theirs.pk, "fields": {"project": project.pk},
            "after": {"project": None}}  # fmt: skip
    edited = with_links(data, link)
    assert refused(edited) == (
        f"Line {only_link_line(edited)}: the link record of testapp.membership {theirs.pk!r} "
        "(project) is refused: its on_delete is CASCADE, which does not set the link, so no "
        f"delete left one to put back. {FIX}"
    )


def test_a_parent_pointer_is_refused(
    world: World, project_deleted: tuple[m.Project, m.Audit, bytes]
) -> None:
    _, _, data = project_deleted
    theirs = m.Restaurant.objects.filter(organisation=world.other_org).first()
    assert theirs is not None
    link = {"link": "testapp.restaurant", "pk": theirs.pk, "fields": {"place_ptr": theirs.pk},
            "after": {"place_ptr": None}}  # fmt: skip
    edited = with_links(data, link)
    assert refused(edited) == (
        f"Line {only_link_line(edited)}: the link record of testapp.restaurant {theirs.pk!r} "
        "(place_ptr) is refused: it is the row's key (a parent pointer or a one-to-one "
        f"key), which no delete changes. {FIX}"
    )


def test_a_many_to_many_field_is_refused(
    project_deleted: tuple[m.Project, m.Audit, bytes], world: World
) -> None:
    _, _, data = project_deleted
    theirs = world.projects[1]
    link = {"link": "testapp.project", "pk": theirs.pk, "fields": {"tags": world.tags[0].pk},
            "after": {"tags": None}}  # fmt: skip
    edited = with_links(data, link)
    assert refused(edited) == (
        f"Line {only_link_line(edited)}: testapp.project has no foreign key 'tags' to put back."
    )


def test_a_record_that_does_not_say_what_the_delete_wrote_is_refused(
    project_deleted: tuple[m.Project, m.Audit, bytes],
) -> None:
    project, audit, data = project_deleted
    edited = with_links(data, {"link": "testapp.audit", "pk": audit.pk,
                               "fields": {"project": project.pk}})  # fmt: skip
    assert refused(edited) == (
        f"Line {only_link_line(edited)}: the link record of testapp.audit {audit.pk!r} "
        "(project) is refused: it does not say what the delete wrote ('after'), so the row "
        f"cannot be shown to hold it still. {FIX}"
    )


def test_a_value_set_null_never_writes_is_refused(
    world: World, project_deleted: tuple[m.Project, m.Audit, bytes]
) -> None:
    """An audit pointing at another tree's project cannot be re-pointed by claiming so."""
    project, audit, data = project_deleted
    elsewhere = world.projects[1].pk
    m.Audit.objects.filter(pk=audit.pk).update(project=elsewhere)
    link = {"link": "testapp.audit", "pk": audit.pk, "fields": {"project": project.pk},
            "after": {"project": elsewhere}}  # fmt: skip
    edited = with_links(data, link)
    assert refused(edited, on_conflict="update") == (
        f"Line {only_link_line(edited)}: the link record of testapp.audit {audit.pk!r} "
        f"(project) is refused: it says the delete wrote {elsewhere!r}, but "
        f"on_delete=SET_NULL writes None. {FIX}"
    )


def test_a_value_set_default_never_writes_is_refused(world: World, tmp_path: Path) -> None:
    shipment = m.Shipment.objects.get()
    data = deleted_with_archive(world.extra["fr"], tmp_path)
    m.Shipment.objects.filter(pk=shipment.pk).update(country="de")
    link = {"link": "testapp.shipment", "pk": shipment.pk, "fields": {"country": "fr"},
            "after": {"country": "de"}}  # fmt: skip
    edited = with_links(data, link)
    assert refused(edited) == (
        f"Line {only_link_line(edited)}: the link record of testapp.shipment {shipment.pk!r} "
        f"(country) is refused: it says the delete wrote 'de', but on_delete=SET_DEFAULT "
        f"writes None. {FIX}"
    )


def test_a_link_to_a_row_the_archive_does_not_carry_is_refused(
    world: World, project_deleted: tuple[m.Project, m.Audit, bytes]
) -> None:
    """Even a row that exists here: the archive cannot vouch for it."""
    _, audit, data = project_deleted
    theirs = m.Project.objects.filter(organisation=world.other_org).first()
    assert theirs is not None
    link = {"link": "testapp.audit", "pk": audit.pk, "fields": {"project": theirs.pk},
            "after": {"project": None}}  # fmt: skip
    edited = with_links(data, link)
    assert refused(edited) == (
        f"Line {only_link_line(edited)}: the link of testapp.audit {audit.pk!r} (project) "
        f"names testapp.project {theirs.pk!r}, which the archive does not carry. A link "
        "record may only put back a link to a row of the archive's trees; nothing was "
        "written. The archive is damaged."
    )


def test_a_link_to_a_row_the_archive_only_needs_is_refused(
    world: World, project_deleted: tuple[m.Project, m.Audit, bytes]
) -> None:
    """A needed row is the archive's copy of a shared row: no delete cleared a link to it."""
    project, _, data = project_deleted
    lead = project.lead_id
    assert any(
        item.get("model") == "testapp.person" and item["pk"] == lead and item["role"] == "need"
        for item in map(json.loads, data.splitlines())
    )
    chefless = m.ItalianRestaurant.objects.filter(organisation=world.other_org).first()
    assert chefless is not None
    m.ItalianRestaurant.objects.filter(pk=chefless.pk).update(chef=None)
    link = {"link": "testapp.italianrestaurant", "pk": chefless.pk, "fields": {"chef": lead},
            "after": {"chef": None}}  # fmt: skip
    edited = with_links(data, link)
    assert refused(edited) == (
        f"Line {only_link_line(edited)}: the link of testapp.italianrestaurant "
        f"{chefless.pk!r} (chef) names testapp.person {lead!r}, which the archive does not "
        "carry. A link record may only put back a link to a row of the archive's trees; "
        "nothing was written. The archive is damaged."
    )


def test_an_on_delete_function_that_would_not_write_the_value_is_refused(
    world: World, tmp_path: Path
) -> None:
    catalogue = world.extra["catalogue roots"]["catalogue"]
    hold = m.Hold.objects.get(entry__catalogue=catalogue)
    data = deleted_with_archive(catalogue, tmp_path)
    m.Hold.objects.filter(pk=hold.pk).update(held=True)  # the function refuses held rows
    edited = with_links(data, *link_lines(data).values())
    line = next(n for n, item in link_lines(edited).items() if item["link"] == "testapp.hold")
    assert refused(edited) == (
        f"Line {line}: the link record of testapp.hold {hold.pk!r} (entry) is refused: its "
        f"on_delete=refuse_when_held, asked now, does not write None to it. {FIX}"
    )


# -- rows changed since the delete ---------------------------------------------------


@pytest.fixture
def changed_since(
    world: World, project_deleted: tuple[m.Project, m.Audit, bytes]
) -> tuple[m.Audit, int, bytes]:
    _, audit, data = project_deleted
    elsewhere = world.projects[1].pk
    m.Audit.objects.filter(pk=audit.pk).update(project=elsewhere)
    return audit, elsewhere, data


def test_a_row_changed_since_is_refused_with_update(
    changed_since: tuple[m.Audit, int, bytes],
) -> None:
    audit, elsewhere, data = changed_since
    message = refused(data, ConflictError, on_conflict="update")
    assert message.startswith(
        "1 row(s) outside the archive were changed since the delete that cleared their "
        f"links:\n  testapp.audit {audit.pk!r}: "
    )
    assert message.endswith(
        "Nothing was written. --on-conflict update does not put a link back over a later "
        "change: import with --on-conflict skip to leave those rows as they are (the other "
        "links are put back), or point them back by hand."
    )
    assert f"is {elsewhere!r} now, not None: it was changed since" in message


def test_a_row_changed_since_is_refused_with_fail(
    changed_since: tuple[m.Audit, int, bytes],
) -> None:
    _, _, data = changed_since
    assert "it was changed since" in refused(data, ConflictError)


def test_a_row_changed_since_is_left_and_reported_with_skip(
    changed_since: tuple[m.Audit, int, bytes],
) -> None:
    audit, elsewhere, data = changed_since
    result = import_archive(io.BytesIO(data), on_conflict="skip")
    audit.refresh_from_db()
    assert audit.project_id == elsewhere
    assert [(c.label, c.pk, c.field) for c in result.conflicts] == [
        ("testapp.audit", audit.pk, "project")
    ]
    assert "testapp.audit" not in result.relinked


def test_graft_import_refuses_by_name_too(
    world: World, project_deleted: tuple[m.Project, m.Audit, bytes], tmp_path: Path
) -> None:
    _, audit, data = project_deleted
    m.Audit.objects.filter(pk=audit.pk).update(project=world.projects[1])
    path = tmp_path / "changed.jsonl"
    path.write_bytes(data)
    before = every_table()
    with pytest.raises(CommandError, match=r"--on-conflict update does not put a link back"):
        call_command("graft_import", str(path), "--on-conflict", "update", stdout=io.StringIO())
    assert every_table() == before


def test_no_link_is_put_back_to_a_row_skipped_for_its_taken_key(
    world: World, project_deleted: tuple[m.Project, m.Audit, bytes]
) -> None:
    """Another tenant's project took the freed key: skip leaves it, and the link with it."""
    project, audit, data = project_deleted
    other = m.Project.objects.create(
        pk=project.pk, organisation=world.other_org, name="someone else's", lead=world.people[0]
    )
    result = import_archive(io.BytesIO(data), on_conflict="skip")
    audit.refresh_from_db()
    assert audit.project_id is None
    assert m.Project.objects.get(pk=other.pk).name == "someone else's"
    assert "testapp.audit" not in result.relinked
    assert (
        f"The link of testapp.audit {audit.pk} (project) was not put back: testapp.project "
        f"{project.pk} was skipped, its key taken by another row." in result.warnings
    )
