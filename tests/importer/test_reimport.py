"""A second import of the same archive: every row is there, unchanged, and nothing is written."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command

from django_graft import import_archive
from django_graft.exceptions import ConflictError
from tests.importer.tables import archive_of as archive
from tests.snapshots import every_table
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db(databases=["default", "other"])

OTHER = "other"


def test_the_same_archive_twice_writes_nothing_the_second_time(
    world: World, django_assert_max_num_queries: Any
) -> None:
    data = archive(world.org)
    first = import_archive(io.BytesIO(data), using=OTHER)
    before = every_table(OTHER)
    again = import_archive(io.BytesIO(data), using=OTHER)
    assert every_table(OTHER) == before
    assert again.created == 0 and again.conflicts == []
    owned = sum(r.created for r in first.models.values() if r.created_needed == 0)
    assert (
        sum(r.unchanged for r in again.models.values())
        + sum(r.matched for r in again.models.values())
        >= owned
    )
    assert all(r.updated == r.skipped == 0 for r in again.models.values())
    assert again.key_map == first.key_map


def test_a_changed_row_is_a_conflict_naming_its_fields(world: World) -> None:
    data = archive(world.org)
    import_archive(io.BytesIO(data), using=OTHER)
    project = m.Project.objects.using(OTHER).get(pk=world.projects[0].pk)
    project.name = "renamed here"
    project.save(using=OTHER)
    before = every_table(OTHER)
    with pytest.raises(ConflictError) as info:
        import_archive(io.BytesIO(data), using=OTHER)
    (conflict,) = info.value.conflicts
    assert str(conflict) == f"testapp.project {project.pk}: the row with this key differs in name"
    assert every_table(OTHER) == before
    updated = import_archive(io.BytesIO(data), using=OTHER, on_conflict="update")
    assert updated.models["testapp.project"].updated == 1
    assert m.Project.objects.using(OTHER).get(pk=project.pk).name == world.projects[0].name


def test_the_command_says_there_is_nothing_to_write(world: World, tmp_path: Any) -> None:
    path = tmp_path / "acme.jsonl"
    path.write_bytes(archive(world.org))
    call_command("graft_import", str(path), "--database", OTHER, stdout=io.StringIO())
    out = io.StringIO()
    call_command("graft_import", str(path), "--database", OTHER, stdout=out)
    assert (
        out.getvalue().rstrip().endswith("Nothing to write: the rows are there already, unchanged.")
    )
    assert "conflict" not in out.getvalue().split("\n", 1)[1].lower()


def test_the_command_counts_the_rows_it_updated(world: World, tmp_path: Any) -> None:
    path = tmp_path / "acme.jsonl"
    path.write_bytes(archive(world.org))
    call_command("graft_import", str(path), "--database", OTHER, stdout=io.StringIO())
    m.Project.objects.using(OTHER).filter(pk=world.projects[0].pk).update(name="renamed here")
    out = io.StringIO()
    call_command(
        "graft_import", str(path), "--database", OTHER, "--on-conflict", "update", stdout=out
    )
    printed = out.getvalue().rstrip().splitlines()
    assert ", 1 updated (input sha256" in printed[-1] and "Nothing to write" not in printed[-1]
    heading = printed.index("Existing rows in conflict with the archive, which were overwritten:")
    assert printed[heading + 1].endswith("the row with this key differs in name")


def test_comparing_costs_a_query_per_model_whatever_the_rows(world: World) -> None:
    """Flat in the number of rows: one read of the stored values per model and batch."""
    from tests.queries import count_queries

    data = archive(world.org)
    import_archive(io.BytesIO(data), using=OTHER)
    once = count_queries(lambda: import_archive(io.BytesIO(data), using=OTHER), OTHER)
    m.Task.objects.bulk_create(
        [m.Task(project=world.projects[0], title=f"extra {i}") for i in range(40)]
    )
    bigger = archive(world.org)
    import_archive(io.BytesIO(bigger), using=OTHER)  # the new tasks only: created
    twice = count_queries(lambda: import_archive(io.BytesIO(bigger), using=OTHER), OTHER)
    assert twice == once


def test_json_that_python_takes_for_equal_but_is_not_is_a_conflict(world: World) -> None:
    """``{"n": true}`` is not ``{"n": 1}``, though Python says ``True == 1``."""
    sample = m.Sample.objects.filter(project__organisation=world.org).order_by("pk").first()
    assert sample is not None
    m.Sample.objects.filter(pk=sample.pk).update(data={"n": 1, "x": [1.0]})
    data = archive(world.org)
    import_archive(io.BytesIO(data), using=OTHER)
    m.Sample.objects.using(OTHER).filter(pk=sample.pk).update(data={"n": True, "x": [1.0]})
    with pytest.raises(ConflictError) as info:
        import_archive(io.BytesIO(data), using=OTHER)
    assert [str(c) for c in info.value.conflicts] == [
        f"testapp.sample {sample.pk}: the row with this key differs in data"
    ]
    m.Sample.objects.using(OTHER).filter(pk=sample.pk).update(data={"n": 1, "x": [1]})
    with pytest.raises(ConflictError):
        import_archive(io.BytesIO(data), using=OTHER)
    m.Sample.objects.using(OTHER).filter(pk=sample.pk).update(data={"x": [1.0], "n": 1})
    assert import_archive(io.BytesIO(data), using=OTHER).conflicts == []  # key order: same JSON
