"""Foreign keys are checked once a write is done, whatever the database does by itself."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.db import IntegrityError, connections, transaction
from django.test import override_settings

from django_graft import Policy, import_archive
from django_graft.db.constraints import check_links
from django_graft.exceptions import ImportWriteError
from django_graft.importer.keybits import KeyBits
from tests.importer.tables import archive_of
from tests.queries import count_queries
from tests.snapshots import every_table
from tests.testapp import models as m
from tests.testapp.world import World, build_tenant

pytestmark = pytest.mark.django_db(databases=["default", "other"])


def _point_nowhere(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        row["assignee_id"] = 999_999


def test_an_import_whose_rows_point_nowhere_is_refused_and_writes_nothing(world: World) -> None:
    """A hook points every task at a person that exists nowhere: the check catches it."""
    policy = Policy(hooks={"testapp.Task": {"pre_save": _point_nowhere}})
    before = every_table("other")
    with pytest.raises(ImportWriteError, match="Nothing was written"):
        import_archive(io.BytesIO(archive_of(world.org)), using="other", policy=policy)
    assert every_table("other") == before


def test_check_links_names_the_row(world: World) -> None:
    task = m.Task.objects.filter(project__organisation=world.org).first()
    assert task is not None
    connection = connections["default"]
    with transaction.atomic(), connection.constraint_checks_disabled():
        # On PostgreSQL and SQLite the check is deferred to the commit that
        # the rollback below never makes.
        m.Task.objects.filter(pk=task.pk).update(assignee_id=999_999)
        with pytest.raises(IntegrityError, match=rf"testapp.task {task.pk}: assignee points at"):
            check_links("default", {m.Task: [task.pk]})
        transaction.set_rollback(True)


def test_check_links_reads_keys_once_a_batch_at_a_time_in_any_collection(world: World) -> None:
    tasks = list(m.Task.objects.order_by("pk").values_list("pk", flat=True))
    last = tasks[-1]
    connection = connections["default"]
    with transaction.atomic(), connection.constraint_checks_disabled():
        m.Task.objects.filter(pk=last).update(assignee_id=999_999)
        # The row pointing nowhere comes in the last batch of a bitmap of keys.
        with override_settings(GRAFT={"BATCH_SIZE": 2}):
            with pytest.raises(IntegrityError, match=rf"testapp.task {last}: assignee points at"):
                check_links("default", {m.Task: KeyBits(tasks)})
            check_links("default", {m.Task: KeyBits(tasks[:-1])})
        transaction.set_rollback(True)


def test_check_links_costs_the_same_queries_for_ten_rows_or_a_thousand(world: World) -> None:
    big = m.Organisation.objects.create(name="Big")
    build_tenant(big, world, size=20)
    small = list(
        m.Task.objects.filter(project__organisation=world.org).values_list("pk", flat=True)
    )
    large = list(m.Task.objects.filter(project__organisation=big).values_list("pk", flat=True))
    assert len(large) > 10 * len(small)
    assert count_queries(lambda: check_links("default", {m.Task: small})) == count_queries(
        lambda: check_links("default", {m.Task: large})
    )
