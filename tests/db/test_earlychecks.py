"""Foreign keys whose targets are written first are checked as each statement ends."""

from __future__ import annotations

import io

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from django_graft import export, import_archive
from django_graft.db.earlychecks import checked_early, early_keys
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db(databases=["default", "other"])

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="keys PostgreSQL defers to commit"
)

ORDER = [m.Organisation, m.Person, m.Project, m.Milestone, m.Task]


def _names(keys: list[str]) -> set[str]:
    """Constraint names, without their schema and quotes."""
    return {key.rsplit(".", 1)[1].strip('"') for key in keys}


@postgres_only
def test_the_keys_checked_early_point_at_tables_written_before() -> None:
    tables = [model._meta.db_table for model in ORDER]
    # The oracle: Django's introspection of each table's keys, and the order.
    expected = set()
    with connection.cursor() as cursor:
        for at, table in enumerate(tables):
            for name, about in connection.introspection.get_constraints(cursor, table).items():
                target = about["foreign_key"]
                if target and target[0] not in tables[at:]:
                    expected.add(name)
    assert _names(early_keys("default", tables)) == expected
    # Project.current_milestone (Milestone comes later) and Task's own keys wait.
    assert not any("current_milestone" in name or "parent" in name for name in expected)
    assert any("organisation" in name for name in expected)


def test_elsewhere_no_key_is_checked_early() -> None:
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL checks some")
    assert early_keys("default", [model._meta.db_table for model in ORDER]) == []


@postgres_only
def test_a_row_pointing_nowhere_is_refused_by_its_statement_then_at_commit_again() -> None:
    tables = [model._meta.db_table for model in ORDER]
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
@pytest.mark.parametrize("signals", [False, True], ids=["without signals", "with signals"])
def test_an_import_checks_keys_early_unless_the_projects_code_runs(
    world: World, signals: bool
) -> None:
    archive = io.BytesIO()
    export(world.org, archive)
    archive.seek(0)
    with CaptureQueriesContext(connections["other"]) as ctx:
        import_archive(archive, using="other", pks="remap", signals=signals)
    # Named keys: a nested import also checks ALL of them as it ends.
    modes = [
        q["sql"].rsplit(" ", 1)[1]
        for q in ctx.captured_queries
        if q["sql"].startswith("SET CONSTRAINTS") and " ALL " not in q["sql"]
    ]
    assert modes == ([] if signals else ["IMMEDIATE", "DEFERRED"])
    assert (
        m.Project.objects.using("other").count()
        == m.Project.objects.filter(organisation=world.org).count()
    )
