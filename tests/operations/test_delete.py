from __future__ import annotations

import io
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import Model, ProtectedError, RestrictedError, signals
from django.test import override_settings

from django_graft import DeleteBlocked, Policy, delete, import_archive
from django_graft.exceptions import DeleteRefused
from django_graft.operations import delete as delete_module
from django_graft.schema.labels import model_label
from tests.queries import count_queries
from tests.roots import ROOT_NAMES, left_behind_by_django, roots_of
from tests.snapshots import every_table
from tests.testapp import models as m
from tests.testapp.world import World, build_tenant

pytestmark = pytest.mark.django_db


def fresh(obj: Model) -> Model:
    found: Model = type(obj)._base_manager.get(pk=obj.pk)
    return found


class SignalLog:
    """Every pre_delete / post_delete sent, as (signal, sender, key, origin)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, Any, Any]] = []

    def receiver(self, name: str) -> Any:
        def receive(sender: Any, instance: Model, origin: Any = None, **kwargs: Any) -> None:
            where = getattr(origin, "pk", None) if isinstance(origin, Model) else origin
            self.sent.append((name, model_label(sender), instance.pk, where))

        return receive

    def __enter__(self) -> SignalLog:
        self._pre, self._post = self.receiver("pre"), self.receiver("post")
        signals.pre_delete.connect(self._pre, weak=False)
        signals.post_delete.connect(self._post, weak=False)
        return self

    def __exit__(self, *exc: object) -> None:
        signals.pre_delete.disconnect(self._pre)
        signals.post_delete.disconnect(self._post)


def django_delete(
    root: Model, *, with_signals: bool, unchecked: bool = False
) -> tuple[Any, list[Any]]:
    """What ``Model.delete()`` does to the database (or the rows that block it); rolled back.

    MariaDB checks each row as it goes, so Django cannot delete a cycle of
    columns that cannot be NULL there: ``unchecked`` switches its checks off
    (the outcome is checked at the end, as on the other databases).
    """
    log = SignalLog()
    unchecking = connection.constraint_checks_disabled() if unchecked else nullcontext()
    with transaction.atomic(), unchecking:
        try:
            if with_signals:
                with log:
                    fresh(root).delete()
            else:
                fresh(root).delete()
            connection.check_constraints()
            outcome: Any = every_table()
        except ProtectedError as exc:
            outcome = sorted((model_label(type(obj)), obj.pk) for obj in exc.protected_objects)
        except RestrictedError as exc:
            outcome = sorted((model_label(type(obj)), obj.pk) for obj in exc.restricted_objects)
        transaction.set_rollback(True)
    return outcome, sorted(log.sent, key=repr)


def deletes_as_django_does(root: Model, name: str, *, with_signals: bool) -> None:
    """delete() of ``root`` leaves every table as Django's delete does, or is refused unchanged."""
    expected, expected_signals = django_delete(
        root, with_signals=with_signals, unchecked=name.startswith("chicken")
    )
    for label, pk in left_behind_by_django(root):
        expected[label] = [row for row in expected[label] if row[0] != pk]
        if with_signals:
            expected_signals += [(signal, label, pk, root.pk) for signal in ("pre", "post")]
    before = every_table()
    log = SignalLog()
    try:
        if with_signals:
            with log:
                delete(fresh(root))
        else:
            delete(fresh(root))
        outcome: Any = every_table()
    except DeleteBlocked as exc:
        outcome = sorted((b.label, b.pk) for b in exc.blockers)
        assert every_table() == before
    assert outcome == expected
    assert sorted(log.sent, key=repr) == sorted(expected_signals, key=repr)


@pytest.mark.parametrize("with_signals", [False, True], ids=["no receivers", "receivers"])
@pytest.mark.parametrize("name", ROOT_NAMES)
def test_delete_does_what_django_does(
    world: World, name: str, with_signals: bool, keys_placed: None
) -> None:
    deletes_as_django_does(roots_of(world)[name], name, with_signals=with_signals)


@pytest.mark.parametrize("name", ROOT_NAMES)
def test_a_delete_by_parts_of_its_key_tables_does_what_django_does(
    world: World, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each table of keys deleted two keys at a time, in key order."""
    monkeypatch.setattr(delete_module, "JOINED_PART", 2)
    with override_settings(GRAFT={"SERVER_SIDE_KEYS": 1}):
        deletes_as_django_does(roots_of(world)[name], name, with_signals=False)


def test_the_rows_django_leaves_behind_are_pinned(world: World) -> None:
    car = roots_of(world)["car (inherited child)"]
    left = left_behind_by_django(car)
    assert left == {("testapp.comment", m.Comment.objects.get(text="on a vehicle").pk)}


def test_the_report_counts_every_deleted_row(world: World) -> None:
    before = {label: len(rows) for label, rows in every_table().items()}
    result = delete(world.org)
    after = {label: len(rows) for label, rows in every_table().items()}
    assert result.deleted == {
        label: before[label] - after[label] for label in before if before[label] != after[label]
    }
    assert result.total == sum(before.values()) - sum(after.values())


def test_protect_lists_every_blocking_row_and_deletes_nothing(world: World) -> None:
    project = world.projects[0]
    contracts = [m.Contract.objects.create(project=project) for _ in range(3)]
    before = every_table()
    with pytest.raises(DeleteBlocked) as caught:
        delete(world.org)
    assert every_table() == before
    assert [(b.label, b.pk, b.field, b.why) for b in caught.value.blockers] == [
        ("testapp.contract", c.pk, "project", "PROTECT") for c in contracts
    ]
    message = str(caught.value)
    assert f"testapp.contract {contracts[0].pk}: project -> testapp.project {project.pk}" in message
    assert "Nothing was deleted" in message


def test_restrict_blocks_from_outside_and_not_from_inside(world: World) -> None:
    milestone = world.projects[0].milestones.first()
    assert milestone is not None
    contract = m.Contract.objects.create(milestone=milestone)
    with pytest.raises(DeleteBlocked) as caught:
        delete(milestone)
    assert [(b.label, b.pk, b.why) for b in caught.value.blockers] == [
        ("testapp.contract", contract.pk, "RESTRICT")
    ]
    # Owned with the milestone, the restricting row no longer blocks it.
    owning = Policy(edges={"testapp.Milestone.contracts": "own"})
    result = delete(milestone, policy=owning)
    assert result.deleted == {"testapp.contract": 1, "testapp.milestone": 1}


def test_a_cascade_the_policy_leaves_out_blocks(world: World) -> None:
    policy = Policy(edges={"testapp.Project.milestones": "skip"})
    with pytest.raises(DeleteBlocked, match="CASCADE, but the policy does not own these rows"):
        delete(world.projects[0], policy=policy)


def test_outside_rows_are_updated_as_on_delete_says(world: World) -> None:
    fr = world.extra["fr"]
    shipment = m.Shipment.objects.get()
    preview = delete(fr, dry_run=True)
    assert [(u.label, u.action, len(u.rows)) for u in preview.updates] == [
        ("testapp.person.country", "SET_NULL", 6),
        ("testapp.shipment.country", "SET_DEFAULT", 1),
    ]
    assert m.Country.objects.filter(pk="fr").exists()
    delete(fr)
    assert not m.Person.objects.filter(country__isnull=False).exists()
    shipment.refresh_from_db()
    assert shipment.country_id is None


def test_dry_run_reports_and_deletes_nothing(world: World) -> None:
    m.Contract.objects.create(project=world.projects[0])
    before = every_table()
    preview = delete(world.org, dry_run=True)
    assert every_table() == before
    assert preview.dry_run and preview.deleted["testapp.project"] == len(world.projects)
    assert [b.label for b in preview.blockers] == ["testapp.contract"]
    text = preview.table()
    assert "would delete" in text and "PROTECT" in text and "testapp.audit.project" in text


def deleting(org: m.Organisation) -> Any:
    """Delete ``org``'s tree and roll it back, so that it can be counted again."""

    def run() -> None:
        with transaction.atomic():
            delete(org)
            transaction.set_rollback(True)

    return run


def test_delete_queries_do_not_grow_with_the_tree(
    small_and_big: tuple[m.Organisation, m.Organisation],
) -> None:
    small, big = small_and_big
    m.Audit.objects.create(project=big.projects.first())  # the outside row the small one has
    deletes = count_queries(deleting(small), starting="DELETE")
    assert deletes == count_queries(deleting(big), starting="DELETE")
    assert count_queries(deleting(small)) == count_queries(deleting(big))


def test_delete_queries_do_not_grow_with_receivers_either(world: World) -> None:
    bigger = m.Organisation.objects.create(name="Bigger")
    build_tenant(bigger, world, size=20)
    m.Audit.objects.create(project=bigger.projects.first())
    with SignalLog():
        assert count_queries(deleting(world.org)) == count_queries(deleting(bigger))


# -- archive first, and the way back -----------------------------------------------


@pytest.fixture
def archive_path(tmp_path: Path) -> Path:
    return tmp_path / "deleted.jsonl"


@pytest.mark.parametrize("name", ROOT_NAMES)
def test_an_archived_delete_is_restored_exactly(
    world: World, name: str, archive_path: Path, keys_placed: None
) -> None:
    root = roots_of(world)[name]
    before = every_table()
    if delete(fresh(root), dry_run=True).blockers:
        with pytest.raises(DeleteBlocked):
            delete(fresh(root), archive=archive_path)
        assert every_table() == before and not archive_path.exists()
        return
    result = delete(fresh(root), archive=archive_path)
    assert result.archive is not None and archive_path.exists()
    assert every_table() != before
    import_archive(archive_path)
    assert every_table() == before


def test_restoring_puts_back_the_links_of_outside_rows(world: World, archive_path: Path) -> None:
    audit = m.Audit.objects.get()
    project = audit.project
    assert project is not None
    delete(project, archive=archive_path)
    audit.refresh_from_db()
    assert audit.project_id is None
    restored = import_archive(archive_path)
    audit.refresh_from_db()
    assert audit.project_id == project.pk
    assert restored.relinked["testapp.audit"] == 1


def test_a_link_changed_since_the_delete_is_a_conflict(world: World, archive_path: Path) -> None:
    from django_graft import ConflictError

    audit = m.Audit.objects.get()
    project = audit.project
    assert project is not None
    delete(project, archive=archive_path)
    elsewhere = world.projects[1]
    m.Audit.objects.filter(pk=audit.pk).update(project=elsewhere)
    before = every_table()
    with pytest.raises(ConflictError, match="was changed since"):
        import_archive(archive_path)
    assert every_table() == before
    import_archive(archive_path, on_conflict="skip")
    audit.refresh_from_db()
    assert audit.project_id == elsewhere.pk


def test_remap_import_leaves_link_records_alone(world: World, archive_path: Path) -> None:
    delete(world.projects[0], archive=archive_path)
    result = import_archive(archive_path, pks="remap")
    assert not result.relinked
    assert any("link record(s) were not used" in w for w in result.warnings)
    assert m.Audit.objects.get().project_id is None


def test_nothing_is_deleted_when_the_archive_cannot_be_written(
    world: World, tmp_path: Path
) -> None:
    from django_graft import DestinationError

    before = every_table()
    with pytest.raises(DestinationError, match="does not exist"):
        delete(world.org, archive=tmp_path / "missing" / "a.jsonl")
    with pytest.raises(DestinationError, match="standard output"):
        delete(world.org, archive="-")
    assert every_table() == before


def test_nothing_is_deleted_when_the_archive_does_not_read_back(world: World) -> None:
    from django_graft import ArchiveError

    class Garbling(io.BytesIO):
        """Storage that loses a byte of what it was given."""

        def write(self, data: Any) -> int:
            data = bytes(data)
            return super().write(data.replace(b"Acme", b"Acne", 1))

    before = every_table()
    with pytest.raises(ArchiveError, match="does not read back"):
        delete(world.org, archive=Garbling())
    assert every_table() == before


def test_an_archive_in_a_file_object_is_verified(world: World) -> None:
    buffer = io.BytesIO()
    result = delete(world.org, archive=buffer)
    assert result.archive is not None
    assert buffer.getvalue().endswith(b"}\n")


def _link(items: list[dict[str, Any]]) -> dict[str, Any]:
    return next(item for item in items if "link" in item)


def _dangling_link(header: Any, items: list[dict[str, Any]]) -> Any:
    _link(items)["fields"]["project"] = 10_000
    return header, items


def _unknown_link_field(header: Any, items: list[dict[str, Any]]) -> Any:
    _link(items)["fields"] = {"label": "x"}
    return header, items


def _link_fields_not_an_object(header: Any, items: list[dict[str, Any]]) -> Any:
    _link(items)["fields"] = ["project", 1]
    return header, items


def _link_to_unknown_model(header: Any, items: list[dict[str, Any]]) -> Any:
    _link(items)["link"] = "nowhere.ghost"
    return header, items


LINK_DAMAGE = [
    (_dangling_link, r"names testapp\.project 10000, which the archive does not carry"),
    (_unknown_link_field, "testapp.audit has no foreign key 'label' to put back"),
    (_link_fields_not_an_object, "a link record needs 'fields' and 'after' objects"),
    (_link_to_unknown_model, "names model 'nowhere.ghost', which is not installed"),
]


@pytest.mark.parametrize(
    ("change", "message"), LINK_DAMAGE, ids=[c.__name__[1:] for c, _ in LINK_DAMAGE]
)
def test_a_damaged_link_record_is_refused_by_name(
    world: World, archive_path: Path, change: Any, message: str
) -> None:
    from django_graft import ArchiveFormatError
    from tests.importer.tables import rewrite

    delete(world.projects[0], archive=archive_path)
    damaged = rewrite(archive_path.read_bytes(), change)
    before = every_table()
    with pytest.raises(ArchiveFormatError, match=message):
        import_archive(io.BytesIO(damaged))
    assert every_table() == before


def refuse_entries(sender: Any, instance: Model, **kwargs: Any) -> None:
    raise ProtectedError("entries are kept for the auditors", {instance})


@pytest.mark.parametrize("signal", [signals.pre_delete, signals.post_delete])
def test_a_receiver_that_refuses_is_named_with_its_row(world: World, signal: Any) -> None:
    catalogue = roots_of(world)["catalogue"]
    first = m.Entry.objects.filter(catalogue=catalogue).order_by("pk").first()
    assert first is not None
    before = every_table()
    signal.connect(refuse_entries, sender=m.Entry)
    try:
        with pytest.raises(DeleteRefused) as info:
            delete(catalogue)
    finally:
        signal.disconnect(refuse_entries, sender=m.Entry)
    which = "pre_delete" if signal is signals.pre_delete else "post_delete"
    assert str(info.value) == (
        f"The {which} receiver tests.operations.test_delete.refuse_entries refused the delete of "
        f"testapp.entry {first.pk} (ProtectedError: entries are kept for the auditors). "
        "Nothing was deleted."
    )
    assert every_table() == before


def test_an_on_delete_function_that_refuses_is_named(world: World) -> None:
    entry = roots_of(world)["entry with a hold"]
    hold = m.Hold.objects.get(entry=entry)
    with pytest.raises(DeleteBlocked) as info:
        delete(entry)
    assert [str(b) for b in info.value.blockers] == [
        f"testapp.hold {hold.pk}: entry -> testapp.entry {entry.pk} "
        "(on_delete=refuse_when_held refused: 1 hold(s) keep the entry)"
    ]


def test_an_on_delete_function_that_sets_a_value_is_followed(world: World) -> None:
    catalogue = roots_of(world)["catalogue"]
    hold = m.Hold.objects.get(entry__catalogue=catalogue)
    preview = delete(catalogue, dry_run=True)
    assert [
        (u.label, u.action, u.rows) for u in preview.updates if u.label == "testapp.hold.entry"
    ] == [("testapp.hold.entry", "refuse_when_held", [(hold.pk, hold.entry_id)])]
    delete(catalogue)
    hold.refresh_from_db()
    assert hold.entry_id is None


def test_a_parent_goes_with_all_its_children(world: World) -> None:
    # The roadster's vehicle row is a truck too. Django deletes the car and its
    # vehicle row, and fails at commit on the truck part left pointing at it.
    car = roots_of(world)["car (inherited child)"]
    truck = m.Truck(vehicle_ptr_id=car.pk, name="roadster", load=3)
    truck.save_base(raw=True)

    def django_deletes() -> None:
        with transaction.atomic():
            fresh(car).delete()
            connection.check_constraints()

    with pytest.raises(IntegrityError):
        django_deletes()
    result = delete(fresh(car))
    assert result.deleted["testapp.truck"] == 1
    assert not m.Vehicle.objects.filter(pk=car.pk).exists()
    assert not m.Truck.objects.filter(pk=car.pk).exists()
