"""An --on-conflict update whose rows someone else deletes or changes meanwhile fails by name.

The rows to overwrite are planned first and written later; they are read
again and locked (``SELECT … FOR UPDATE`` where the database has it) before
the first write, and every UPDATE's count of rows is checked. Here the rows
are deleted or changed between planning and writing: by the import's own
connection (any database), or by another connection that commits
(PostgreSQL and MariaDB, whose tests commit).
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections

from django_graft import import_archive
from django_graft.exceptions import ImportRefused
from django_graft.importer.plan import Planner
from tests.importer.tables import archive_of
from tests.settings import TEST_DB
from tests.snapshots import every_table
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db(databases=["default", "other"])

OTHER = "other"


def gone(label: str, key: Any) -> str:
    return (
        f"{label} {key!r}: 1 row(s) the import planned to overwrite (--on-conflict update) "
        "were deleted by someone else before it wrote them. Nothing was written. Run the "
        "import again."
    )


def changed(label: str, key: Any, field: str, was: Any, now: Any) -> str:
    return (
        f"{label} {key!r}: {field} is no longer {was!r} (it is now {now!r}): someone else "
        "changed the row after the import planned to overwrite it (--on-conflict update). "
        "Nothing was written. Run the import again."
    )


def between_plan_and_write(monkeypatch: Any, meddle: Callable[[], Any]) -> None:
    original = Planner.plan

    def plan_then_meddle(self: Planner) -> Any:
        planned = original(self)
        meddle()
        return planned

    monkeypatch.setattr(Planner, "plan", plan_then_meddle)


def imported_twice(world: World) -> tuple[bytes, int]:
    """The org's archive, already imported into OTHER; the key of one of its samples,
    changed there since (so that the archive's row overwrites it)."""
    data = archive_of(world.org)
    import_archive(io.BytesIO(data), using=OTHER)
    key = m.Sample.objects.using(OTHER).order_by("pk").values_list("pk", flat=True)[0]
    m.Sample.objects.using(OTHER).filter(pk=key).update(char="changed")
    return data, key


def test_a_row_deleted_after_planning_fails_the_update(world: World, monkeypatch: Any) -> None:
    data, key = imported_twice(world)
    before = every_table(OTHER)
    delete = m.Sample.objects.using(OTHER).filter(pk=key).delete
    between_plan_and_write(monkeypatch, delete)
    with pytest.raises(ImportRefused) as error:
        import_archive(io.BytesIO(data), using=OTHER, on_conflict="update")
    assert str(error.value) == gone("testapp.sample", key)
    assert every_table(OTHER) == before


def test_an_update_that_touches_fewer_rows_fails(world: World, monkeypatch: Any) -> None:
    """Where no lock was taken, the count of rows each UPDATE touched tells."""
    data, key = imported_twice(world)
    before = every_table(OTHER)
    monkeypatch.setattr("django_graft.importer.apply.lock_overwritten_rows", lambda *a: None)
    between_plan_and_write(monkeypatch, m.Sample.objects.using(OTHER).filter(pk=key).delete)
    with pytest.raises(ImportRefused) as error:
        import_archive(io.BytesIO(data), using=OTHER, on_conflict="update")
    assert str(error.value) == gone("testapp.sample", key)
    assert every_table(OTHER) == before


def acme_taken_elsewhere() -> None:
    """An organisation with the archive's unique name, at another key."""
    m.Organisation.objects.using(OTHER).create(pk=999, name="Acme")


def test_a_row_no_longer_colliding_fails_the_update(world: World, monkeypatch: Any) -> None:
    data = archive_of(world.org)
    acme_taken_elsewhere()
    before = every_table(OTHER)
    rename = m.Organisation.objects.using(OTHER).filter(pk=999).update
    between_plan_and_write(monkeypatch, lambda: rename(name="Renamed"))
    with pytest.raises(ImportRefused) as error:
        import_archive(io.BytesIO(data), using=OTHER, on_conflict="update")
    assert str(error.value) == changed("testapp.organisation", 999, "name", "Acme", "Renamed")
    assert every_table(OTHER) == before


def test_an_update_of_rows_left_alone_succeeds(world: World) -> None:
    data = archive_of(world.org)
    acme_taken_elsewhere()
    result = import_archive(io.BytesIO(data), using=OTHER, on_conflict="update")
    assert result.models["testapp.organisation"].updated == 1
    assert m.Organisation.objects.using(OTHER).get(pk=999).name == "Acme"


def elsewhere(work: Callable[[], Any]) -> None:
    """Run ``work`` on another connection, committed before this returns."""

    def run() -> None:
        try:
            work()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()


@pytest.mark.skipif(TEST_DB == "sqlite", reason="a second connection to in-memory SQLite")
@pytest.mark.django_db(transaction=True, databases=["default", "other"])
class TestAnotherConnection:
    def test_a_row_it_deletes_fails_the_update(self, world: World, monkeypatch: Any) -> None:
        data, key = imported_twice(world)
        before = every_table(OTHER)
        delete = m.Sample.objects.using(OTHER).filter(pk=key).delete
        between_plan_and_write(monkeypatch, lambda: elsewhere(delete))
        with pytest.raises(ImportRefused) as error:
            import_archive(io.BytesIO(data), using=OTHER, on_conflict="update")
        assert str(error.value) == gone("testapp.sample", key)
        # Only the other connection's delete happened.
        assert every_table(OTHER) == {
            **before,
            "testapp.sample": [row for row in before["testapp.sample"] if row[0] != key],
        }

    def test_a_row_it_changes_fails_the_update(self, world: World, monkeypatch: Any) -> None:
        data = archive_of(world.org)
        acme_taken_elsewhere()
        before = every_table(OTHER)
        rename = m.Organisation.objects.using(OTHER).filter(pk=999).update
        between_plan_and_write(monkeypatch, lambda: elsewhere(lambda: rename(name="Renamed")))
        with pytest.raises(ImportRefused) as error:
            import_archive(io.BytesIO(data), using=OTHER, on_conflict="update")
        assert str(error.value) == changed("testapp.organisation", 999, "name", "Acme", "Renamed")
        assert every_table(OTHER) == {
            **before,
            "testapp.organisation": [(999, "Renamed")],
        }
