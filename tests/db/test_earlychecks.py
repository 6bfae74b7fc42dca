"""Foreign keys whose targets are written first are checked as each statement ends."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, connections, transaction
from django.db.models import Model
from django.test.utils import CaptureQueriesContext

from django_graft import Policy, export, import_archive
from django_graft.db.earlychecks import checked_early, early_keys
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db(databases=["default", "other"])

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="keys PostgreSQL defers to commit"
)

ORDER = [m.Organisation, m.Person, m.Project, m.Milestone, m.Task]


def _is_primary_key(table: str, column: str) -> bool:
    model = next(model for model in apps.get_models() if model._meta.db_table == table)
    pk: Any = model._meta.pk
    return bool(pk.column == column)


def _names(keys: list[str]) -> set[str]:
    """Constraint names, without their schema and quotes."""
    return {key.rsplit(".", 1)[1].strip('"') for key in keys}


@postgres_only
@pytest.mark.parametrize("unchecked", [None, m.Project], ids=["every table", "but projects"])
def test_the_keys_checked_early_point_at_primary_keys_of_tables_written_before(
    unchecked: type[Model] | None,
) -> None:
    tables = [model._meta.db_table for model in ORDER]
    # The oracle: Django's introspection of each table's keys, and the order.
    expected = set()
    with connection.cursor() as cursor:
        for at, table in enumerate(tables):
            if unchecked is not None and table == unchecked._meta.db_table:
                continue
            for name, about in connection.introspection.get_constraints(cursor, table).items():
                target = about["foreign_key"]
                if target and target[0] not in tables[at:] and _is_primary_key(*target):
                    expected.add(name)
    given = [(table, unchecked is None or table != unchecked._meta.db_table) for table in tables]
    assert _names(early_keys("default", given)) == expected
    # Project.current_milestone (Milestone comes later) and Task's own keys wait.
    assert not any("current_milestone" in name or "parent" in name for name in expected)
    assert any("organisation" in name for name in expected) == (unchecked is None)


def test_elsewhere_no_key_is_checked_early() -> None:
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL checks some")
    assert early_keys("default", [(model._meta.db_table, True) for model in ORDER]) == []


@postgres_only
def test_a_row_pointing_nowhere_is_refused_by_its_statement_then_at_commit_again() -> None:
    tables = [(model._meta.db_table, True) for model in ORDER]
    lead = m.Person.objects.create(username="lead")
    with transaction.atomic():
        with checked_early("default", tables):
            with pytest.raises(IntegrityError, match="organisation"), transaction.atomic():
                m.Project.objects.create(organisation_id=987_654, name="Stray", lead=lead)
            # A key into its own table waits: the row pointed at comes next.
            org = m.Organisation.objects.create(name="Early")
            project = m.Project.objects.create(organisation=org, name="P", lead=lead)
            child = m.Task.objects.create(project=project, parent_id=project.pk + 10**6, title="c")
            m.Task.objects.create(pk=project.pk + 10**6, project=project, title="parent")
        # Deferred again: a row pointing nowhere is refused only at the end.
        stray = m.Project.objects.create(organisation_id=987_654, name="Stray", lead=lead)
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        stray.delete()
        assert m.Task.objects.get(pk=child.pk).parent_id == project.pk + 10**6
        transaction.set_rollback(True)


@postgres_only
@pytest.mark.parametrize(
    "how", ["as it is", "with signals", "renaming projects"], ids=lambda how: how.replace(" ", "-")
)
def test_an_import_checks_keys_early_but_where_the_projects_code_runs(
    world: World, how: str
) -> None:
    archive = io.BytesIO()
    export(world.org, archive)
    archive.seek(0)
    renamed = Policy(set_fields={"testapp.Project.name": lambda row: f"{row['name']} (copy)"})
    with CaptureQueriesContext(connections["other"]) as ctx:
        import_archive(
            archive,
            using="other",
            pks="remap",
            signals=how == "with signals",
            policy=renamed if how == "renaming projects" else None,
        )
    # Named keys: a nested import also checks ALL of them as it ends.
    named = [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].startswith("SET CONSTRAINTS") and " ALL " not in q["sql"]
    ]
    assert [sql.rsplit(" ", 1)[1] for sql in named] == (
        [] if how == "with signals" else ["IMMEDIATE", "DEFERRED"]
    )
    # A table whose values the policy sets keeps its own keys deferred.
    assert any(".testapp_project_lead_id_" in sql for sql in named) == (how == "as it is")
    assert (
        m.Project.objects.using("other").count()
        == m.Project.objects.filter(organisation=world.org).count()
    )


def _archive(roots: Any) -> io.BytesIO:
    archive = io.BytesIO()
    export(roots, archive)
    archive.seek(0)
    return archive


@postgres_only
def test_a_key_naming_a_unique_column_waits_for_a_value_moved_between_rows() -> None:
    """A value a key names moves from one row to another: checked once both are written.

    With ``on_conflict="update"`` both rows of the archive land on the one
    row holding the value; the shipment names it all along.
    """
    first = m.Person.objects.create(username="x")
    shipment = m.Shipment.objects.create(recipient=first)
    import_archive(_archive(m.Person.objects.filter(pk=first.pk)), using="other")
    m.Shipment.objects.filter(pk=shipment.pk).update(recipient=None)
    m.Person.objects.filter(pk=first.pk).update(username="y")
    m.Shipment.objects.filter(pk=shipment.pk).update(recipient="y")
    second = m.Person.objects.create(username="x")
    m.Shipment.objects.create(recipient=second)
    people = m.Person.objects.filter(pk__in=[first.pk, second.pk])
    import_archive(_archive(people), using="other", on_conflict="update")
    # The oracle: plain SQL, every shipment names a person that exists.
    with connections["other"].cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM testapp_shipment s WHERE s.recipient_id IS NOT NULL AND "
            "NOT EXISTS (SELECT 1 FROM testapp_person p WHERE p.username = s.recipient_id)"
        )
        assert cursor.fetchone() == (0,)
        cursor.execute("SELECT count(*) FROM testapp_shipment")
        assert cursor.fetchone() == (2,)


@postgres_only
def test_a_key_whose_name_another_constraint_shares_is_left_deferred() -> None:
    tables = [(model._meta.db_table, True) for model in ORDER]
    (shared, *_) = sorted(_names(early_keys("default", tables)))
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER TABLE testapp_tag ADD CONSTRAINT "{shared}" CHECK (true)')
    assert shared not in _names(early_keys("default", tables))
