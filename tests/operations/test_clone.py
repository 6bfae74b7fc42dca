from __future__ import annotations

import datetime
import decimal
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from typing import Any
from unittest import mock

import pytest
from django.apps import apps
from django.db.models import Model

from django_graft import Policy, clone, collect
from django_graft.exceptions import ConflictError, CrossLinkError, PolicyError
from django_graft.schema.labels import model_label
from tests.importer.tables import own_columns, table
from tests.queries import count_queries
from tests.roots import ROOT_NAMES, roots_of
from tests.snapshots import counts, every_table
from tests.testapp import models as m
from tests.testapp.world import World, build_tenant

pytestmark = pytest.mark.django_db


def _suffixed(attname: str) -> Callable[[dict[str, Any]], str]:
    return lambda row: f"{row[attname]}-copy"


def renames(root: Model) -> dict[str, Any]:
    """``set_fields`` giving every unique text column of the copies a '-copy' suffix."""
    return {
        f"{model._meta.label}.{f.name}": _suffixed(f.attname)
        for model in collect(root).owned
        for f in model._meta.local_concrete_fields
        if f.unique and not f.primary_key and not f.is_relation
    }


def _renamed(field: Any, renamed: dict[str, Any]) -> bool:
    """Whether ``renamed`` renames the column, or the column a link by ``to_field`` names."""
    if field.is_relation and not field.target_field.primary_key:
        field = field.target_field
    return f"{field.model._meta.label}.{field.name}" in renamed


def expected_copy(
    model: type[Model], keys: AbstractSet[Any], key_map: Any, renamed: dict[str, Any]
) -> Any:
    """The original rows as their copies should read: keys mapped, renamed columns suffixed."""
    attnames = [f.attname for f in own_columns(model)]
    suffixed = {
        attnames.index(f.attname)
        for f in own_columns(model)
        if _renamed(f, renamed) and not f.primary_key  # a key is mapped already
    }
    return {
        key: tuple(f"{v}-copy" if i in suffixed and v is not None else v for i, v in enumerate(row))
        for key, row in table(model, keys, "default", key_map).items()
    }


#: Roots whose copy would repeat a value the database holds once: {root: what is repeated}.
REPEATS = {
    "membership": "project, person",  # its unique pair
    "profile": "person",  # a unique one-to-one
    "badge (unique one-to-one)": "maker",
    "registration (one-to-one key)": "car",  # a one-to-one key: the car has its registration
    "licence (key by to_field)": "maker",  # the same, by the maker's code
    "entry (foreign objects point at it)": "catalogue, number",
    "entry with a hold": "catalogue, number",
    # Keys a model cannot make are kept, and are taken by the originals.
    "country": "pk",
    "region (text key)": "pk",
    "edition (date key)": "pk",
    "release (datetime key)": "pk",
    "grade (decimal key)": "pk",
    "lot (composite key)": "pk",  # its catalogue, a part of its key, is not copied
}


@pytest.mark.parametrize("name", ROOT_NAMES)
def test_clone_copies_the_owned_rows_and_points_at_the_rest(
    world: World, name: str, keys_placed: None
) -> None:
    root = roots_of(world)[name]
    if name in REPEATS:
        before_tables = every_table()
        with pytest.raises(ConflictError, match=rf"{REPEATS[name]}=.* is already taken") as info:
            clone(root)
        assert {conflict.field for conflict in info.value.conflicts} == {REPEATS[name]}
        assert every_table() == before_tables
        return
    graph = collect(root)
    renamed = renames(root)
    before = counts()
    result = clone(root, set_fields=renamed)
    after = counts()
    for label in after:
        model = apps.get_model(label)
        assert after[label] - before[label] == len(graph.owned.get(model, ())), label
    for model, keys in graph.owned.items():
        label = model_label(model)
        copies = set(result.copies[label].values())
        assert not copies & keys, label
        assert table(model, copies, "default") == expected_copy(
            model, keys, result.copies, renamed
        ), label
    copy = result.copy_of(root)
    assert copy.pk != root.pk
    assert result.original(copy).pk == root.pk
    assert [obj.pk for obj in result.roots] == [copy.pk]


def test_needed_rows_are_shared_not_copied(world: World) -> None:
    project = world.projects[0]
    result = clone(project)
    copy = result.copy_of(project)
    assert isinstance(copy, m.Project)
    assert copy.lead_id == project.lead_id
    assert set(copy.tags.all()) == set(project.tags.all())
    assert set(copy.members.all()) == set(project.members.all())
    assert result.models["testapp.person"].matched > 0
    assert "testapp.person" not in result.copies


def test_an_owned_model_with_many_needed_rows_copies_its_owned_rows_only(
    world: World, keys_placed: None
) -> None:
    # Tasks of one project blocked by tasks of another: the task model is
    # owned and needed at once, its needed keys past the limit in tables.
    mine, theirs = world.projects[0], world.projects[1]
    blockers = list(m.Task.objects.filter(project=theirs).order_by("pk")[:3])
    tasks = list(m.Task.objects.filter(project=mine).order_by("pk")[:3])
    assert len(blockers) == len(tasks) == 3
    for task, blocker in zip(tasks, blockers, strict=True):
        task.blocked_by = blocker
        task.save()
    owned = set(m.Task.objects.filter(project=mine).values_list("pk", flat=True))
    result = clone(mine)
    copied = result.copies["testapp.task"]
    assert set(copied) == owned
    made = m.Task.objects.filter(pk__in=list(copied.values()))
    assert {task.blocked_by_id for task in made} >= {blocker.pk for blocker in blockers}


def test_a_one_to_one_copy_can_be_given_another_target(world: World) -> None:
    profile = world.people[0].profile
    lonely = world.people[5]
    assert not m.Profile.objects.filter(person=lonely).exists()
    result = clone(profile, set_fields={"testapp.Profile.person": lonely.pk})
    copy = result.copy_of(profile)
    assert isinstance(copy, m.Profile)
    assert (copy.person_id, copy.bio) == (lonely.pk, profile.bio)


def test_unique_values_are_named_before_anything_is_written(world: World) -> None:
    before = every_table()
    with pytest.raises(ConflictError, match=r"testapp\.organisation \d+: name='Acme'") as info:
        clone(world.org)
    assert "--set app.Model.field=VALUE" in str(info.value)
    assert every_table() == before


def test_every_taken_value_of_a_row_is_named_and_none_it_only_causes() -> None:
    from django.contrib.auth import get_user_model

    from tenants.models import Membership, Organisation

    user = get_user_model().objects.create(username="clash-member")
    organisation = Organisation.objects.create(name="Clash", slug="clash")
    Membership.objects.create(organisation=organisation, user=user)
    before = every_table()
    with pytest.raises(ConflictError) as info:
        clone(organisation, dry_run=True)
    # Both values of the organisation, in one run; its membership would be
    # unique once the organisation is renamed, so it is not listed.
    assert [(c.label, c.field) for c in info.value.conflicts] == [
        ("tenants.organisation", "name"),
        ("tenants.organisation", "slug"),
    ]
    assert "tenants.membership" not in str(info.value)
    assert every_table() == before


@pytest.mark.parametrize(
    ("name", "field", "value"),
    [
        ("region (text key)", "testapp.Region.code", "west"),
        ("edition (date key)", "testapp.Edition.day", datetime.date(2030, 1, 1)),
        (
            "release (datetime key)",
            "testapp.Release.at",
            datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc),
        ),
        ("grade (decimal key)", "testapp.Grade.value", decimal.Decimal("9.25")),
    ],
)
def test_a_key_the_model_cannot_make_is_given_by_set_fields(
    world: World, name: str, field: str, value: Any
) -> None:
    root = roots_of(world)[name]
    result = clone(root, set_fields={field: value})
    assert result.roots[0].pk == value
    assert result.copy_of(root).pk == value
    assert type(root)._base_manager.filter(pk=root.pk).exists()


def test_set_fields_and_policy_overrides(world: World) -> None:
    project = world.projects[0]
    policy = Policy(
        set_fields={"testapp.Project.name": lambda row: row["name"].upper()},
        clear=["testapp.Project.tags", "testapp.Task.assignee"],
    )
    result = clone(project, policy=policy, set_fields={"testapp.Milestone.title": "copied"})
    copy = result.copy_of(project)
    assert isinstance(copy, m.Project)
    assert copy.name == project.name.upper()
    assert not copy.tags.exists() and project.tags.exists()
    assert set(copy.tasks.values_list("assignee", flat=True)) == {None}
    assert set(copy.milestones.values_list("title", flat=True)) == {"copied"}


def test_policy_hooks_run_on_the_copies(world: World) -> None:
    seen: dict[str, int] = {}

    def pre_save(rows: list[dict[str, Any]]) -> None:
        for row in rows:
            row["title"] = f"copy of {row['title']}"

    def post_save(objects: list[Any]) -> None:
        seen["tasks"] = seen.get("tasks", 0) + len(objects)

    project = world.projects[0]
    policy = Policy(hooks={"testapp.Task": {"pre_save": pre_save, "post_save": post_save}})
    result = clone(project, policy=policy, set_fields={"testapp.Task.title": "t"})
    copy = result.copy_of(project)
    assert set(copy.tasks.values_list("title", flat=True)) == {"copy of t"}  # type: ignore[attr-defined]
    assert seen["tasks"] == project.tasks.count()


@pytest.mark.parametrize(
    ("clear", "message"),
    [
        ("testapp.Project.lead", "the foreign key is not nullable"),
        ("testapp.Project.name", "not a foreign key or many-to-many field"),
        ("testapp.Project.colour", "Unknown field 'testapp.Project.colour'"),
    ],
)
def test_impossible_clears_are_refused_when_the_policy_is_built(clear: str, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        Policy(clear=[clear])


def test_the_key_cannot_be_set() -> None:
    with pytest.raises(PolicyError, match=r"'testapp\.Project\.id' cannot be set"):
        Policy(set_fields={"testapp.Project.id": 5})


def test_a_link_by_another_field_follows_the_value_the_copy_is_given(world: World) -> None:
    # Shipments point at their person by username, which the copy changes.
    person = world.people[1]
    shipment = person.shipments.get()
    result = clone(person, set_fields={"testapp.Person.username": "someone else"})
    copy = result.copy_of(shipment)
    assert isinstance(copy, m.Shipment)
    assert copy.recipient_id == "someone else"
    assert m.Shipment.objects.get(pk=shipment.pk).recipient_id == person.username


def test_a_link_by_another_field_left_on_the_original_is_a_cross_link(
    world: World, keys_placed: None
) -> None:
    person = world.people[1]
    before = every_table()

    def keep_usernames(rows: list[dict[str, Any]]) -> None:
        for row in rows:
            row["recipient_id"] = person.username  # a hook that points back at the original

    hooks = {"testapp.Shipment": {"pre_save": keep_usernames}}
    with pytest.raises(CrossLinkError, match=r"testapp\.shipment \d+") as info:
        clone(
            person,
            policy=Policy(hooks=hooks),
            set_fields={"testapp.Person.username": "someone else"},
        )
    assert info.value.rows
    assert every_table() == before


def test_a_cross_link_rolls_the_clone_back(world: World, keys_placed: None) -> None:
    before = every_table()

    def leave_generic_links(self: Any, generic: Any, columns: Any) -> list[Any]:
        return []  # a bug that leaves the notes on the original rows

    with (
        mock.patch("django_graft.importer.linkmap.LinkMapper._map_generic", leave_generic_links),
        pytest.raises(CrossLinkError, match=r"reaches the copy testapp\.note \d+") as info,
    ):
        clone(world.org, set_fields={"testapp.Organisation.name": "copy"})
    assert info.value.rows
    assert every_table() == before


def test_dry_run_writes_nothing(world: World) -> None:
    before = every_table()
    result = clone(world.projects[0], dry_run=True)
    assert result.models["testapp.project"].created == 1
    assert result.roots == []
    assert every_table() == before


def test_clone_query_count_is_flat(world: World) -> None:
    big = m.Organisation.objects.create(name="Big")
    build_tenant(big, world, size=100)
    rename = {"testapp.Organisation.name": "copy"}
    small_queries = count_queries(lambda: clone(world.org, set_fields=rename))
    big_queries = count_queries(lambda: clone(big, set_fields={"testapp.Organisation.name": "c2"}))
    assert small_queries == big_queries


def test_a_write_the_database_refuses_is_named_as_the_clones(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The clone runs an import inside; its messages say clone, as the user ran."""
    from django.db import IntegrityError

    from django_graft.exceptions import ImportWriteError

    def refuse(self: object) -> None:
        raise IntegrityError("UNIQUE constraint failed")

    monkeypatch.setattr("django_graft.importer.run.Writer.write", refuse)
    before = every_table()
    with pytest.raises(ImportWriteError) as info:
        clone(world.projects[0])
    assert str(info.value) == (
        "The database refused the clone: UNIQUE constraint failed. Nothing was written. A "
        "unique constraint or a foreign key is not satisfied in this database by the copies."
    )
    assert every_table() == before


def test_a_needed_row_made_anew_is_no_copy() -> None:
    from tests.testapp import constructs as c

    # A needed registration keyed by a car the clone owns is made anew for the
    # copied car: a row the clone creates, not a copy of an owned original.
    one, two = c.Car.objects.create(name="one"), c.Car.objects.create(name="two")
    needed = c.Registration.objects.create(car=one, plate="N-1")
    owned = c.Registration.objects.create(car=two, plate="O-2")
    entry = c.Entry.objects.create(
        catalogue=c.Catalogue.objects.create(name="catalogue"),
        number=1,
        colour=c.Colour.objects.create(name="red"),
        registration=needed,
    )
    policy = Policy(edges={"testapp.Car.registration": "skip"})
    roots = [one, two, owned, entry]
    graph = collect(roots, policy=policy)
    assert (graph.owned[c.Registration], graph.needed[c.Registration]) == ({owned.pk}, {needed.pk})
    result = clone(roots, policy=policy, set_fields={"testapp.Entry.number": 2})
    assert c.Registration.objects.count() == 4
    copies = result.copies["testapp.registration"]
    assert set(copies) == {owned.pk} and len(copies) == 1 and needed.pk not in copies
    with pytest.raises(KeyError):
        copies[needed.pk]
