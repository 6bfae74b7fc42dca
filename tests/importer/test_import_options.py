from __future__ import annotations

import io
from typing import Any
from unittest import mock

import pytest
from django.apps import apps
from django.db import connections
from django.db.models.signals import pre_save

from django_graft import Policy, import_archive
from django_graft.db.keydraw import KeyDrawer
from django_graft.exceptions import (
    AmbiguousMatch,
    ArchiveFormatError,
    ConflictError,
    SchemaDriftError,
)
from django_graft.schema.labels import model_label
from tests.importer.tables import archive_of, archived_keys, new_keys, rewrite, table
from tests.queries import count_queries
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db(databases=["default", "other"])


def every_table(using: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every model, to show a failed import changed nothing."""
    return {
        model_label(model): sorted(model._base_manager.using(using).values_list(), key=repr)
        for model in apps.get_models(include_auto_created=True)
    }


def test_records_in_any_order_are_written_parents_first(world: World) -> None:
    data = rewrite(archive_of(world.org), lambda header, items: (header, items[::-1]))
    result = import_archive(io.BytesIO(data), using="other", pks="remap")
    for model, keys in archived_keys(data).items():
        mapped = new_keys(model, keys, result.key_map)
        assert table(model, mapped, "other") == table(model, keys, "default", result.key_map)


def test_rows_go_one_by_one_where_bulk_inserts_return_no_keys(world: World) -> None:
    data = archive_of(world.org)
    bulk = count_queries(lambda: _undone(data), using="other", starting="INSERT")
    # A property on some Django versions: patched on the class, for both aliases.
    features = type(connections["other"].features)
    no_returning = mock.PropertyMock(return_value=False)
    with (
        mock.patch.object(features, "can_return_rows_from_bulk_insert", no_returning),
        # Keys drawn ahead let rows go in bulk all the same: none are, here.
        mock.patch.object(KeyDrawer, "draw", return_value=None),
    ):
        one_by_one = count_queries(lambda: _undone(data), using="other", starting="INSERT")
        result = import_archive(io.BytesIO(data), using="other", pks="remap")
    assert one_by_one > bulk + 20
    for model, keys in archived_keys(data).items():
        mapped = new_keys(model, keys, result.key_map)
        assert table(model, mapped, "other") == table(model, keys, "default", result.key_map)


def _undone(data: bytes) -> None:
    from django.db import transaction

    with transaction.atomic(using="other"):
        import_archive(io.BytesIO(data), using="other", pks="remap")
        transaction.set_rollback(True, using="other")


def test_signals_are_sent_only_when_asked(world: World) -> None:
    seen: list[bool] = []

    def receiver(sender: Any, raw: bool, **kwargs: Any) -> None:
        seen.append(raw)

    pre_save.connect(receiver, sender=m.Project)
    try:
        _undone(archive_of(world.org))
        assert seen == []
        import_archive(io.BytesIO(archive_of(world.org)), using="other", pks="remap", signals=True)
    finally:
        pre_save.disconnect(receiver, sender=m.Project)
    assert seen == [True] * world.org.projects.count()


def test_update_overwrites_the_existing_rows(world: World) -> None:
    data = archive_of(world.org)
    project = world.projects[0]
    m.Project.objects.filter(pk=project.pk).update(name="changed")
    result = import_archive(io.BytesIO(data), on_conflict="update")
    assert m.Project.objects.get(pk=project.pk).name == project.name
    assert result.models["testapp.project"].updated == 1  # the others are unchanged
    assert result.models["testapp.project"].unchanged == world.org.projects.count() - 1


def test_a_raising_hook_rolls_everything_back(world: World) -> None:
    def refuse(objects: list[Any]) -> None:
        raise RuntimeError("refused by hook")

    before = every_table("other")
    policy = Policy(hooks={"testapp.Task": {"post_save": refuse}})
    with pytest.raises(RuntimeError, match="refused by hook"):
        import_archive(io.BytesIO(archive_of(world.org)), using="other", policy=policy)
    assert every_table("other") == before


def test_match_fields_that_find_two_rows_are_an_error(world: World) -> None:
    fr = m.Country.objects.using("other").create(code="fr", name="France")
    m.Person.objects.using("other").create(username="a", country=fr)
    m.Person.objects.using("other").create(username="b", country=fr)
    with pytest.raises(AmbiguousMatch, match=r"testapp\.person: 1 field\(s\) country = 'fr'"):
        import_archive(
            io.BytesIO(archive_of(world.org)),
            using="other",
            pks="remap",
            match={"testapp.Person": ["country"]},
        )


def test_a_field_the_model_lost_is_named(world: World) -> None:
    def add_field(header: dict[str, Any], items: list[Any]) -> Any:
        header["models"]["testapp.tag"]["fields"]["colour"] = {"type": "CharField"}
        header["models"]["testapp.tag"]["fingerprint"] = "sha256:changed"
        for item in items:
            if item.get("model") == "testapp.tag":
                item["fields"]["colour"] = "red"
        return header, items

    data = rewrite(archive_of(world.org), add_field)
    with pytest.raises(SchemaDriftError, match=r"testapp\.tag\.colour is in the archive"):
        import_archive(io.BytesIO(data), using="other")
    result = import_archive(io.BytesIO(data), using="other", ignore_missing_fields=True)
    assert any("testapp.tag.colour" in w for w in result.warnings)


def test_a_damaged_archive_writes_nothing(world: World) -> None:
    data = archive_of(world.org)
    before = every_table("other")
    with pytest.raises(ArchiveFormatError, match="truncated"):
        import_archive(io.BytesIO(data[: len(data) // 2]), using="other")
    assert every_table("other") == before


def test_keys_a_model_cannot_make_are_kept_when_free(world: World) -> None:
    result = import_archive(io.BytesIO(archive_of(world.extra["fr"])), using="other", pks="remap")
    assert result.key_map["testapp.country"] == {"fr": "fr"}
    assert m.Country.objects.using("other").get(pk="fr").name == "France"


def test_keys_a_model_cannot_make_are_refused_where_taken(world: World) -> None:
    data = archive_of(world.extra["fr"])
    before = every_table("default")
    with pytest.raises(ConflictError) as info:
        import_archive(io.BytesIO(data), pks="remap")
    assert str(info.value) == (
        "1 row(s) of the archive collide with rows in database 'default':\n"
        "  testapp.country 'fr': pk='fr' is already taken by the existing row 'fr'\n"
        "Nothing was written. Rows of a model that cannot make keys keep theirs, and these "
        "are taken: give the rows other keys with a pre_save hook or set_fields on the "
        "policy (--set app.Model.field=VALUE for a clone), or remove the existing rows."
    )
    assert every_table("default") == before


@pytest.mark.parametrize("remedy", ["set_fields", "pre_save"])
def test_a_taken_key_can_be_given_by_the_policy(world: World, remedy: str) -> None:
    def rename(rows: list[dict[str, Any]]) -> None:
        for row in rows:
            row["code"] = "f2"

    policy = (
        Policy(set_fields={"testapp.Country.code": "f2"})
        if remedy == "set_fields"
        else Policy(hooks={"testapp.Country": {"pre_save": rename}})
    )
    result = import_archive(io.BytesIO(archive_of(world.extra["fr"])), pks="remap", policy=policy)
    assert result.key_map["testapp.country"] == {"fr": "f2"}
    assert m.Country.objects.get(pk="f2").name == "France"


def test_sequences_continue_after_a_keep_import(world: World) -> None:
    import_archive(io.BytesIO(archive_of(world.org)), using="other")
    fresh = m.Organisation.objects.using("other").create(name="after import")
    assert fresh.pk > world.org.pk


def test_an_interrupt_rolls_everything_back(world: World) -> None:
    def interrupt(objects: list[Any]) -> None:
        raise KeyboardInterrupt

    before = every_table("other")
    policy = Policy(hooks={"testapp.Task": {"post_save": interrupt}})
    with pytest.raises(KeyboardInterrupt):
        import_archive(io.BytesIO(archive_of(world.org)), using="other", policy=policy)
    assert every_table("other") == before
