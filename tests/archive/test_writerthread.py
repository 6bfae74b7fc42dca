"""An archive's records made, encoded and written on a thread of their own."""

from __future__ import annotations

import contextvars
import io
import threading
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone, translation

from django_graft import Policy, export
from django_graft.archive import writerthread
from django_graft.archive.reader import read_archive
from django_graft.archive.writer import ArchiveWriter
from django_graft.archive.writerthread import WriterThread
from django_graft.exceptions import ArchiveError
from django_graft.storage import open_for_read
from tests.testapp import models as m
from tests.testapp.world import World


def _writers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "graft-archive-writer"]


def test_jobs_are_written_in_order_gathered_into_large_writes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(writerthread, "WRITE_AT", 10)
    writes: list[bytes] = []
    thread = WriterThread(lambda data: writes.append(bytes(data)), depth=2)
    for n in range(20):
        thread.submit(lambda n=n: b"%d," % n)  # type: ignore[misc]
    thread.join()
    assert b"".join(writes) == b"".join(b"%d," % n for n in range(20))
    assert all(len(w) >= 10 for w in writes[:-1]) and len(writes) < 20


def test_an_error_in_a_job_is_raised_in_the_thread_that_gave_it() -> None:
    writes: list[bytes] = []

    def fails() -> bytes:
        raise ValueError("no")

    def hand_over_more() -> None:
        for _ in range(10):  # raised at one of the hand-offs that follow, or at the end
            thread.submit(lambda: b"after")
        thread.join()

    thread = WriterThread(lambda data: writes.append(bytes(data)), depth=1)
    thread.submit(lambda: b"kept")
    thread.submit(fails)
    with pytest.raises(ValueError, match="no"):
        hand_over_more()
    thread.join()
    assert b"after" not in b"".join(writes)
    with pytest.raises(RuntimeError, match="closed"):
        thread.submit(lambda: b"too late")


def test_an_abandoned_thread_writes_nothing_more_and_ends() -> None:
    started = threading.Event()
    release = threading.Event()
    writes: list[bytes] = []

    def slow() -> bytes:
        started.set()
        release.wait(5)
        return b"first"

    thread = WriterThread(lambda data: writes.append(bytes(data)), depth=4)
    thread.submit(slow)
    started.wait(5)
    thread.submit(lambda: b"queued")
    release.set()
    thread.abandon()
    assert writes == [] and not _writers()


def test_jobs_run_in_the_context_of_the_thread_that_made_the_writer() -> None:
    name: contextvars.ContextVar[str] = contextvars.ContextVar("name", default="unset")
    name.set("set")
    seen: list[str] = []
    thread = WriterThread(lambda data: None, depth=1)
    thread.submit(lambda: seen.append(name.get()) or b"")  # type: ignore[func-returns-value]
    thread.join()
    assert seen == ["set"]


def test_an_archive_writer_left_early_stops_its_thread() -> None:
    stream = io.BytesIO()

    def leave_early() -> None:
        with ArchiveWriter(stream) as writer:
            writer.header({})
            raise KeyError("the rows could not be read")

    with pytest.raises(KeyError):
        leave_early()
    assert not _writers()
    assert stream.getvalue() == b""


@pytest.mark.django_db
def test_masks_run_where_the_caller_is(world: World, tmp_path: Path) -> None:
    """The records of a masked model are made in the caller's thread, with all it activated."""
    seen: list[tuple[str, str, str | None]] = []
    statements: list[str] = []

    def mask(value: Any) -> Any:
        m.Person.objects.exists()  # a query: on the caller's connection
        zone = timezone.get_current_timezone_name()
        seen.append((threading.current_thread().name, zone, translation.get_language()))
        return value

    def wrapper(execute: Any, sql: str, *args: Any) -> Any:
        statements.append(sql)
        return execute(sql, *args)

    policy = Policy(mask={"testapp.Task.title": mask})
    with (
        translation.override("fr"),
        timezone.override("Europe/Paris"),
        connection.execute_wrapper(wrapper),
    ):
        export(world.org, tmp_path / "tree.jsonl", policy=policy)
    assert seen and set(seen) == {(threading.main_thread().name, "Europe/Paris", "fr")}
    person = m.Person._meta.db_table
    assert sum(person in sql and "LIMIT 1" in sql for sql in statements) == len(seen)


def _fails(value: Any) -> Any:
    raise ValueError(f"cannot mask {value!r}")


@pytest.mark.django_db
def test_a_mask_that_fails_fails_the_export_and_leaves_no_archive(
    world: World, tmp_path: Path
) -> None:
    policy = Policy(mask={"testapp.Task.title": _fails})
    target = tmp_path / "tree.jsonl"
    with pytest.raises(ValueError, match="cannot mask"):
        export(world.org, target, policy=policy)
    assert not target.exists() and not _writers()


@pytest.mark.django_db
def test_an_export_reads_back_whole_across_many_hand_offs(
    world: World, tmp_path: Path, settings: Any
) -> None:
    settings.GRAFT = {"CHUNK_SIZE": 1}  # a job per row, the queue two deep
    target = tmp_path / "tree.jsonl.zst"
    result = export(world.org, target)
    with open_for_read(str(target)) as stream:
        summary = read_archive(stream)
    assert summary.sha256 == result.sha256 and summary.counts == result.counts
    assert not _writers()


def test_an_unencodable_value_is_named_from_the_writing_thread() -> None:
    def write() -> None:
        with ArchiveWriter(io.BytesIO()) as writer:
            writer.header({})
            writer.records("a.b", [{"model": "a.b", "pk": 1, "fields": {"x": object()}}])
            writer.finish()

    with pytest.raises(ArchiveError, match="field 'x' holds a value of type object"):
        write()
