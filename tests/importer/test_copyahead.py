"""Chunks made ready while PostgreSQL files the chunk before, and only where that is safe."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connections

from django_graft import Policy, export, import_archive
from django_graft.exceptions import ArchiveFormatError
from django_graft.importer import apply
from django_graft.importer.copyahead import Ready, write_in_turn
from django_graft.importer.decode import RowDecoder
from tests import snapshots
from tests.importer.tables import rewrite
from tests.testapp import models as m

pytestmark = pytest.mark.django_db(databases=["default", "other"])

#: More than two chunks of the writer's (2,000 rows).
ROWS = 4_500


def _chunks(events: list[str], count: int) -> Iterator[Ready]:
    for number in range(count):
        events.append(f"ready {number}")
        yield Ready([number], {}, {}, [])


@pytest.mark.parametrize("overlapping", [True, False])
def test_each_chunk_is_written_once_and_noted_in_order(overlapping: bool) -> None:
    events: list[str] = []

    def insert(chunk: Ready, then: Any) -> list[Any]:
        events.append(f"sent {chunk.keys[0]}")
        if then is not None:
            then([chunk.keys[0] * 10])
        events.append(f"ended {chunk.keys[0]}")
        return [chunk.keys[0] * 10]

    def written(chunk: Ready, new_keys: list[Any]) -> None:
        events.append(f"noted {chunk.keys[0]} as {new_keys}")

    write_in_turn(_chunks(events, 3), insert, written, overlapping=overlapping)
    if overlapping:  # the next chunk is made ready before the statement of one ends
        assert events == [
            "ready 0",
            *("sent 0", "noted 0 as [0]", "ready 1", "ended 0"),
            *("sent 1", "noted 1 as [10]", "ready 2", "ended 1"),
            *("sent 2", "noted 2 as [20]", "ended 2"),
        ]
    else:
        assert events == [
            "ready 0",
            *("sent 0", "ended 0", "noted 0 as [0]", "ready 1"),
            *("sent 1", "ended 1", "noted 1 as [10]", "ready 2"),
            *("sent 2", "ended 2", "noted 2 as [20]"),
        ]


def test_an_insert_that_never_calls_back_stops_the_writing() -> None:
    with pytest.raises(IndexError):
        write_in_turn(_chunks([], 2), lambda chunk, then: [], lambda *a: None, overlapping=True)


def _tree() -> m.Organisation:
    """Tasks in a chain, each the parent of the next and blocked by the one after it; notes."""
    lead = m.Person.objects.create(username="copyahead-lead")
    org: m.Organisation = m.Organisation.objects.create(name="copyahead")
    project = m.Project.objects.create(organisation=org, name="big", lead=lead)
    tasks = m.Task.objects.bulk_create(
        m.Task(project=project, title=f"task {i:05}") for i in range(ROWS)
    )
    for before, task, after in zip(tasks, tasks[1:], tasks[2:], strict=False):
        task.parent, task.blocked_by = before, after
    m.Task.objects.bulk_update(tasks, ["parent", "blocked_by"])
    m.Note.objects.bulk_create(m.Note(target=project, text=f"note {i:05}") for i in range(ROWS))
    return org


def _shape(using: str) -> set[tuple[Any, ...]]:
    """Every task by title with its parent's and blocker's, and every note with its project's."""
    tasks = {
        pk: (title, parent, blocker)
        for pk, title, parent, blocker in m.Task.objects.using(using).values_list(
            "pk", "title", "parent", "blocked_by"
        )
    }
    title = {pk: values[0] for pk, values in tasks.items()}
    shape = {
        ("task", name, title.get(parent), title.get(blocker))
        for name, parent, blocker in tasks.values()
    }
    projects = dict(m.Project.objects.using(using).values_list("pk", "name"))
    notes = m.Note.objects.using(using).values_list("content_type__model", "object_id", "text")
    shape |= {("note", model, projects[int(pk)], text) for model, pk, text in notes}
    return shape


def _import(archive: bytes, policy: Policy | None) -> list[tuple[str, bool]]:
    """Import into ``other`` with new keys; each chunk's model, and whether a COPY was open."""
    copying: list[str] = []
    made_ready: list[tuple[str, bool]] = []
    ready = apply.Writer._ready

    def watched(self: Any, mp: Any, records: Any, keys: Any) -> Ready:
        made_ready.append((mp.label, bool(copying)))
        return ready(self, mp, records, keys)

    def note_copies(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        copying.extend(["COPY"] if sql.startswith("COPY") else [])
        try:
            return execute(sql, params, many, context)
        finally:
            copying.clear()

    with (
        pytest.MonkeyPatch.context() as patch,
        connections["other"].execute_wrapper(note_copies),
    ):
        patch.setattr(apply.Writer, "_ready", watched)
        patch.setattr(apply, "COPY_BYTES", 200_000)  # a few chunks, not thousands more rows
        import_archive(io.BytesIO(archive), using="other", pks="remap", policy=policy)
    return made_ready


def test_chunks_are_made_ready_during_the_copy_before_them_on_postgresql() -> None:
    org = _tree()
    archive = io.BytesIO()
    export(org, archive)
    made_ready = _import(archive.getvalue(), None)
    assert _shape("other") == _shape("default")
    during = {label for label, copying in made_ready if copying}
    if connections["other"].vendor == "postgresql":
        # Tasks link to tasks of the chunk before (kept) and after (filled in
        # at the end); notes name tasks through their content type.
        assert during == {"testapp.task", "testapp.note"}
    else:
        assert during == set()  # no COPY: rows are written by INSERT


def test_chunks_a_hook_sees_are_made_ready_with_the_connection_free() -> None:
    org = _tree()
    archive = io.BytesIO()
    export(org, archive)
    seen: list[int] = []

    def count_tasks(rows: list[dict[str, Any]]) -> None:
        # A statement: the connection must not be busy with a COPY.
        seen.append(m.Task.objects.using("other").count())

    policy = Policy(hooks={"testapp.task": {"pre_save": count_tasks}})
    made_ready = _import(archive.getvalue(), policy)
    assert _shape("other") == _shape("default")
    assert seen == [0, 2_000, 4_000]
    assert not [label for label, copying in made_ready if label == "testapp.task" and copying]


def test_a_bad_value_found_while_a_copy_is_open_is_refused_with_nothing_written() -> None:
    org = _tree()
    archive = io.BytesIO()
    export(org, archive)
    bad_key = m.Task.objects.get(title="task 03000").pk

    def too_long(header: Any, items: list[dict[str, Any]]) -> Any:
        task = next(i for i in items if i.get("model") == "testapp.task" and i["pk"] == bad_key)
        task["fields"]["title"] = "x" * 500  # the column holds 100
        return header, items

    data = rewrite(archive.getvalue(), too_long)
    before = snapshots.every_table("other")
    with pytest.raises(ArchiveFormatError, match=rf"testapp.task {bad_key}\b.*'title'"):
        _import(data, None)
    assert snapshots.every_table("other") == before


def test_no_overlap_where_a_left_out_field_takes_a_default_from_a_function() -> None:
    left_out = RowDecoder(m.Document, {"project", "file", "payload"})  # data: default=dict
    whole = RowDecoder(m.Document, {"project", "file", "payload", "data"})
    assert left_out.calls_defaults() and not whole.calls_defaults()
    assert left_out.archived_json() == set() and whole.archived_json() == {"data"}
