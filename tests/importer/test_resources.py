"""A full temporary directory, and a clone's rows deleted meanwhile, are named errors.

An import keeps the archive's records in temporary files while it runs; a
disk with no room left fails the import by name, with nothing written,
whatever it reads (an archive, a fixture) and for a clone too. A clone whose
rows someone else deletes between collecting and copying them names them.
"""

from __future__ import annotations

import errno
import io
import json
import tempfile
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import override_settings

from django_graft import clone, import_archive
from django_graft.exceptions import ImportRefused, ObjectNotFound
from django_graft.importer import source
from django_graft.operations.export import write_graph
from tests.importer.tables import archive_of
from tests.snapshots import every_table
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db(databases=["default", "other"])

OTHER = "other"


class FullDisk(io.BytesIO):
    """A temporary file on a disk with no room left."""

    def write(self, data: Any) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")


def full_temporary_directory(monkeypatch: Any) -> None:
    monkeypatch.setattr(source, "tempfile", SimpleNamespace(TemporaryFile=FullDisk))


def out_of_space(operation: str) -> str:
    return (
        f"The {operation} ran out of space in the temporary directory "
        f"{tempfile.gettempdir()!r} (No space left on device), where it keeps the archive's "
        "records while it runs. Nothing was written. Free space there, or point TMPDIR at a "
        "disk with room for about the size of the archive."
    )


def test_a_full_temporary_directory_fails_an_archive_import(world: World, monkeypatch: Any) -> None:
    data = archive_of(world.org)
    before = every_table(OTHER)
    full_temporary_directory(monkeypatch)
    with pytest.raises(ImportRefused) as error:
        import_archive(io.BytesIO(data), using=OTHER)
    assert str(error.value) == out_of_space("import")
    assert every_table(OTHER) == before


def test_a_full_temporary_directory_fails_a_fixture_import(monkeypatch: Any, tmp_path: Any) -> None:
    path = tmp_path / "tags.json"
    path.write_text(json.dumps([{"model": "testapp.tag", "pk": 1, "fields": {"name": "red"}}]))
    before = every_table(OTHER)
    full_temporary_directory(monkeypatch)
    with pytest.raises(ImportRefused) as error:
        import_archive(path, using=OTHER)
    assert str(error.value) == out_of_space("import")
    assert every_table(OTHER) == before


def test_a_full_temporary_directory_fails_a_clone(world: World, monkeypatch: Any) -> None:
    before = every_table()
    full_temporary_directory(monkeypatch)
    with pytest.raises(ImportRefused) as error:
        clone(world.projects[1])
    assert str(error.value) == out_of_space("clone")
    assert every_table() == before


def test_a_root_deleted_while_the_clone_runs_is_named(world: World, monkeypatch: Any) -> None:
    project = world.projects[1]
    before = every_table()

    def delete_then_write(graph: Any, writer: Any, **options: Any) -> Any:
        m.Project.objects.filter(pk=project.pk).delete()  # as another connection would
        return write_graph(graph, writer, **options)

    monkeypatch.setattr("django_graft.operations.clone.write_graph", delete_then_write)
    with pytest.raises(ObjectNotFound) as error:
        clone(project)
    assert str(error.value) == (
        f"testapp.project {project.pk} was deleted while the clone of "
        f"testapp.project:{project.pk} ran (by another connection): 1 row(s) of the tree "
        "are gone. Nothing was written. Run the clone again."
    )
    assert every_table() == before


def test_rows_deleted_while_a_clone_keeps_its_keys_in_tables_are_counted(
    world: World, monkeypatch: Any
) -> None:
    project = world.projects[1]
    task = m.Task.objects.filter(project=project, subtasks__isnull=True).first()
    assert task is not None
    before = every_table()

    def delete_then_write(graph: Any, writer: Any, **options: Any) -> Any:
        m.Task.objects.filter(pk=task.pk).delete()  # a table names only the rows still there
        return write_graph(graph, writer, **options)

    monkeypatch.setattr("django_graft.operations.clone.write_graph", delete_then_write)
    with override_settings(GRAFT={"SERVER_SIDE_KEYS": 1}), pytest.raises(ObjectNotFound) as error:
        clone(project)
    assert str(error.value).startswith("testapp.task rows were deleted while the clone of ")
    assert "(by another connection): 1 row(s) of the tree are gone. Nothing" in str(error.value)
    assert every_table() == before
