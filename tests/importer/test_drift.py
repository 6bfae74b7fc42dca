"""An archive written before a migration: every drifted field is named."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest

from django_graft import import_archive
from django_graft.exceptions import ArchiveFormatError, SchemaDriftError
from tests.importer.tables import archive_of, rewrite
from tests.snapshots import every_table
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db(databases=["default", "other"])

Change = Callable[[dict[str, Any], list[dict[str, Any]]], Any]


def _without_field(label: str, name: str) -> Change:
    """The archive as written when ``label`` had no field ``name``."""

    def change(header: dict[str, Any], items: list[dict[str, Any]]) -> Any:
        described = header["models"][label]
        del described["fields"][name]
        described["fingerprint"] = "sha256:older"
        for item in items:
            if item.get("model") == label:
                del item["fields"][name]
        return header, items

    return change


def _retyped(label: str, name: str, old_type: str) -> Change:
    def change(header: dict[str, Any], items: list[dict[str, Any]]) -> Any:
        described = header["models"][label]
        described["fields"][name]["type"] = old_type
        described["fingerprint"] = "sha256:older"
        return header, items

    return change


def test_a_new_field_with_a_default_takes_it(world: World) -> None:
    data = rewrite(archive_of(world.org), _without_field("testapp.membership", "role"))
    result = import_archive(io.BytesIO(data), using="other")
    assert "testapp.membership.role is new on the model; it takes its default" in result.warnings
    roles = set(m.Membership.objects.using("other").values_list("role", flat=True))
    assert roles == {"member"}


def test_a_new_field_without_a_default_is_an_error(world: World) -> None:
    data = rewrite(archive_of(world.org), _without_field("testapp.project", "name"))
    with pytest.raises(SchemaDriftError, match=r"testapp\.project\.name is new on the model and "):
        import_archive(io.BytesIO(data), using="other")
    assert not m.Project.objects.using("other").exists()


def test_a_changed_type_is_reported(world: World) -> None:
    data = rewrite(archive_of(world.org), _retyped("testapp.project", "name", "TextField"))
    result = import_archive(io.BytesIO(data), using="other")
    assert (
        "testapp.project.name changed type from TextField to CharField; values are read as the "
        "new type" in result.warnings
    )


def test_every_drifted_field_is_named_at_once(world: World) -> None:
    def both(header: dict[str, Any], items: list[dict[str, Any]]) -> Any:
        header, items = _without_field("testapp.project", "name")(header, items)
        header["models"]["testapp.tag"]["fields"]["colour"] = {"type": "CharField"}
        header["models"]["testapp.tag"]["fingerprint"] = "sha256:older"
        return header, items

    data = rewrite(archive_of(world.org), both)
    with pytest.raises(SchemaDriftError) as info:
        import_archive(io.BytesIO(data), using="other")
    assert sorted(info.value.drift) == [
        "testapp.project.name is new on the model and has no default",
        "testapp.tag.colour is in the archive but no longer on the model",
    ]


def test_a_model_the_header_does_not_describe_is_an_error(world: World) -> None:
    def undescribe(header: dict[str, Any], items: list[dict[str, Any]]) -> Any:
        del header["models"]["testapp.tag"]
        return header, items

    data = rewrite(archive_of(world.org), undescribe)
    with pytest.raises(SchemaDriftError, match=r"testapp\.tag: the archive header does not"):
        import_archive(io.BytesIO(data), using="other")


@pytest.mark.parametrize("models", [["testapp.tag"], "app.model", 3])
def test_a_header_whose_models_is_not_an_object_is_refused(world: World, models: Any) -> None:
    data = archive_of(world.tags[0])

    def change(header: dict[str, Any], items: list[Any]) -> Any:
        return {**header, "models": models}, items

    before = every_table("other")
    with pytest.raises(ArchiveFormatError) as info:
        import_archive(io.BytesIO(rewrite(data, change)), using="other")
    assert info.value.message == (
        "The archive header's 'models' is not an object mapping model labels to their "
        "fields: the archive was not written by django-graft, or was altered."
    )
    assert every_table("other") == before


@pytest.mark.parametrize("left_out", [[["name"]], [{"a": 1}], "name"])
def test_a_left_out_that_is_not_a_list_of_names_is_refused(world: World, left_out: Any) -> None:
    data = archive_of(world.tags[0])

    def change(header: dict[str, Any], items: list[Any]) -> Any:
        header["models"]["testapp.tag"]["left_out"] = left_out
        return header, items

    before = every_table("other")
    with pytest.raises(SchemaDriftError, match="left_out names fields it does not have"):
        import_archive(io.BytesIO(rewrite(data, change)), using="other")
    assert every_table("other") == before
