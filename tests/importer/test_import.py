from __future__ import annotations

import io
from typing import Any

import pytest
from django.db import connections, transaction
from django.db.models import Model

from django_graft import Policy, import_archive
from django_graft.exceptions import ConflictError, UnresolvedReference
from django_graft.schema.labels import model_label
from tests.importer.tables import archive_of, archived_keys, new_keys, table
from tests.queries import count_queries
from tests.roots import ROOT_NAMES, roots_of
from tests.settings import TEST_DB
from tests.testapp import models as m
from tests.testapp.world import World, build_tenant

pytestmark = pytest.mark.django_db(databases=["default", "other"], transaction=False)


def counts(using: str) -> dict[str, int]:
    from django.apps import apps

    return {
        model_label(model): model._base_manager.using(using).count()
        for model in apps.get_app_config("testapp").get_models(include_auto_created=True)
    }


@pytest.mark.parametrize("name", ROOT_NAMES)
def test_keep_round_trip_into_another_database(
    world: World, name: str, keys_placed: None, blocks: None
) -> None:
    data = archive_of(roots_of(world)[name])
    result = import_archive(io.BytesIO(data), using="other")
    for model, keys in archived_keys(data).items():
        assert table(model, keys, "other") == table(model, keys, "default"), model_label(model)
    assert result.created == sum(len(keys) for keys in archived_keys(data).values())


@pytest.mark.parametrize("name", ROOT_NAMES)
def test_remap_round_trip_into_another_database(world: World, name: str, keys_placed: None) -> None:
    root = roots_of(world)[name]
    data = archive_of(root)
    result = import_archive(io.BytesIO(data), using="other", pks="remap")
    for model, keys in archived_keys(data).items():
        mapped = new_keys(model, keys, result.key_map)
        expected = table(model, keys, "default", result.key_map)
        assert table(model, mapped, "other") == expected, model_label(model)


def test_remap_into_the_source_database_adds_exactly_the_owned_rows(world: World) -> None:
    data = archive_of(world.org)
    before = counts("default")
    rename = {"testapp.organisation": {"pre_save": _renamed}}
    result = import_archive(io.BytesIO(data), pks="remap", policy=Policy(hooks=rename))
    after = counts("default")
    owned = {model_label(model): len(keys) for model, keys in _owned(data).items()}
    assert {k: after[k] - before[k] for k in after if after[k] != before[k]} == owned
    assert result.models["testapp.person"].matched == len(_needed(data)[m.Person])
    assert result.models["testapp.tag"].created == 0
    copy = m.Organisation.objects.get(name="Acme (copy)")
    assert copy.projects.count() == world.org.projects.count()


def _renamed(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        row["name"] += " (copy)"


def _records(data: bytes, role: str) -> dict[type[Model], set[Any]]:
    from django_graft.archive.reader import read_archive
    from django_graft.schema.labels import resolve_model

    found: dict[type[Model], set[Any]] = {}
    for record in read_archive(io.BytesIO(data), keep_records=True).records:
        if record.get("role") == role:
            found.setdefault(resolve_model(record["model"]), set()).add(str(record["pk"]))
    return found


def _owned(data: bytes) -> dict[type[Model], set[Any]]:
    return _records(data, "own")


def _needed(data: bytes) -> dict[type[Model], set[Any]]:
    return _records(data, "need")


def test_unique_values_already_taken_are_conflicts(world: World) -> None:
    data = archive_of(world.org)
    with pytest.raises(ConflictError) as caught:
        import_archive(io.BytesIO(data), pks="remap")
    assert [str(c) for c in caught.value.conflicts] == [
        f"testapp.organisation {world.org.pk}: name='Acme' is already taken by the existing "
        f"row {world.org.pk}"
    ]


def test_keep_into_the_source_database_finds_every_row_unchanged(world: World) -> None:
    data = archive_of(world.org)
    before = counts("default")
    result = import_archive(io.BytesIO(data))
    owned = sum(len(keys) for keys in _owned(data).values())
    assert sum(r.unchanged for r in result.models.values()) == owned
    assert result.conflicts == [] and counts("default") == before


def test_keep_into_the_source_database_lists_every_changed_row(world: World) -> None:
    data = archive_of(world.org)
    m.Project.objects.filter(organisation=world.org).update(name="changed")
    with pytest.raises(ConflictError) as caught:
        import_archive(io.BytesIO(data))
    projects = m.Project.objects.filter(organisation=world.org).order_by("pk")
    assert [str(c) for c in caught.value.conflicts] == [
        f"testapp.project {p.pk}: the row with this key differs in name" for p in projects
    ]


def test_skip_leaves_existing_rows_alone(world: World) -> None:
    data = archive_of(world.org)
    m.Organisation.objects.filter(pk=world.org.pk).update(name="changed")
    before = counts("default")
    result = import_archive(io.BytesIO(data), on_conflict="skip")
    assert counts("default") == before
    assert result.models["testapp.organisation"].skipped == 1
    assert m.Organisation.objects.get(pk=world.org.pk).name == "changed"


def test_needed_rows_are_matched_by_natural_key(world: World) -> None:
    m.Person.objects.using("other").create(username="person0")
    data = archive_of(world.org)
    result = import_archive(io.BytesIO(data), using="other", pks="remap")
    assert result.models["testapp.person"].matched == 1
    existing = m.Person.objects.using("other").get(username="person0")
    assert result.key_map["testapp.person"][world.people[0].pk] == existing.pk


def test_missing_references_fail_before_writing(world: World) -> None:
    data = archive_of(world.org, policy=Policy(reference=["testapp.Person"]))
    with pytest.raises(UnresolvedReference) as caught:
        import_archive(io.BytesIO(data), using="other")
    assert sorted(caught.value.missing) == [
        ("testapp.person", ["person0"]),
        ("testapp.person", ["person1"]),
        ("testapp.person", ["person2"]),
    ]
    assert counts("other")["testapp.organisation"] == 0


def test_a_cycle_without_nullable_column_is_remapped_with_stand_ins(world: World) -> None:
    # The chicken is written first, pointing at its egg's archive key, then
    # pointed at the egg's new key; the database checks the keys at the end.
    chicken = world.extra["chicken"]
    with connections["other"].constraint_checks_disabled():  # MariaDB checks each row
        m.Chicken.objects.using("other").create(pk=chicken.pk, egg_id=chicken.egg_id)
        m.Egg.objects.using("other").create(pk=chicken.egg_id, chicken_id=chicken.pk)
    result = import_archive(io.BytesIO(archive_of(chicken)), using="other", pks="remap")
    chickens = m.Chicken.objects.using("other")
    new_chicken = chickens.get(pk=result.key_map["testapp.chicken"][chicken.pk])
    new_egg = result.key_map["testapp.egg"][chicken.egg_id]
    assert new_chicken.egg_id == new_egg != chicken.egg_id
    assert m.Egg.objects.using("other").get(pk=new_egg).chicken_id == new_chicken.pk


def test_dry_run_writes_nothing(world: World) -> None:
    result = import_archive(io.BytesIO(archive_of(world.org)), using="other", dry_run=True)
    assert counts("other")["testapp.organisation"] == 0
    assert result.models["testapp.organisation"].created == 1


def test_import_query_count_is_flat(world: World) -> None:
    big = m.Organisation.objects.create(name="Big")
    build_tenant(big, world, size=100)
    assert imported_then_undone(archive_of(world.org)) == imported_then_undone(archive_of(big))


def imported_then_undone(data: bytes) -> int:
    """The queries of a remap import into the empty second database, rolled back."""
    with transaction.atomic(using="other"):
        queries = count_queries(
            lambda: import_archive(io.BytesIO(data), using="other", pks="remap"), using="other"
        )
        transaction.set_rollback(True, using="other")
    return queries


@pytest.mark.django_db(databases=["other"])
@pytest.mark.skipif(TEST_DB != "mariadb", reason="the MariaDB path")
def test_mariadb_takes_new_keys_from_bulk_inserts() -> None:
    """MariaDB 10.5+ returns the keys of a multi-row INSERT: the flat counts above rely on it."""
    assert connections["other"].features.can_return_rows_from_bulk_insert
