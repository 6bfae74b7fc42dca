"""An archive written before a migration: every drifted field is named."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest

from django_graft import import_archive
from django_graft.exceptions import SchemaDriftError
from tests.importer.tables import archive_of, rewrite
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
