"""Fields an export left out on purpose (``left_out`` in the header) take their default."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.contrib.auth.models import User

from django_graft import delete, export, import_archive
from django_graft.exceptions import ArchiveFormatError, SchemaDriftError
from django_graft.policy.presets import gdpr
from tests.importer.tables import rewrite
from tests.snapshots import every_table
from tests.testapp.world import World

pytestmark = pytest.mark.django_db(databases=["default", "other"])


def test_a_gdpr_export_imports_without_its_hashes() -> None:
    user = User.objects.create_user("ada", password="s3cret-pass")
    buffer = io.BytesIO()
    export(user, buffer, policy=gdpr())
    header = buffer.getvalue().split(b"\n", 1)[0]
    assert b'"left_out":["password"]' in header
    report = import_archive(io.BytesIO(buffer.getvalue()), using="other")
    assert "auth.user.password was left out of the archive; it takes its default" in (
        report.warnings
    )
    assert User.objects.using("other").get(username="ada").password == ""


def org_archive(world: World) -> bytes:
    buffer = io.BytesIO()
    export(world.org, buffer)
    delete(world.org)
    return buffer.getvalue()


def leave_out(field: str, *, from_records: bool = True) -> Any:
    def change(header: dict[str, Any], items: list[dict[str, Any]]) -> Any:
        header["models"]["testapp.milestone"]["left_out"] = [field]
        for item in items:
            if from_records and item.get("model") == "testapp.milestone":
                item["fields"].pop(field, None)
        return header, items

    return change


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("project", "testapp.milestone.project was left out of the archive and has no default"),
        (
            "colour",
            "testapp.milestone: the archive header's left_out names fields it does not have",
        ),
    ],
)
def test_what_cannot_be_filled_in_is_refused(world: World, field: str, message: str) -> None:
    data = rewrite(org_archive(world), leave_out(field))
    before = every_table("default")
    with pytest.raises(SchemaDriftError) as info:
        import_archive(io.BytesIO(data))
    assert info.value.message == (
        f"The archive does not fit the installed models:\n  {message}\n"
        "Migrate the models to match the archive, or pass --ignore-missing-fields "
        "to drop the values of removed fields."
    )
    assert every_table("default") == before


def test_a_left_out_text_field_takes_an_empty_value(world: World) -> None:
    from tests.testapp import models as m

    import_archive(io.BytesIO(rewrite(org_archive(world), leave_out("title"))))
    titles = set(
        m.Milestone.objects.filter(project__organisation=world.org).values_list("title", flat=True)
    )
    assert titles == {""}


def test_a_record_holding_a_field_left_out_is_refused(world: World) -> None:
    """The header says the export withheld it: a value for it was put there since."""
    data = rewrite(org_archive(world), leave_out("title", from_records=False))
    before = every_table("default")
    with pytest.raises(ArchiveFormatError, match=r"holds a value for field .title., which the "):
        import_archive(io.BytesIO(data))
    assert every_table("default") == before
