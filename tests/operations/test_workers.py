"""Roots spread over real task workers: two ``db_worker`` processes of django-tasks-db.

The test process enqueues one task per root and waits; the workers, second
and third processes on the same (committed) test database, export the
roots. Each worker takes exactly half the tasks (``--max-tasks``), so both
are seen to work.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from django_graft import export
from django_graft.operations.each import delete_each, export_each
from django_graft.operations.importeach import import_each
from tests.operations.test_each import records, trailer_hash
from tests.settings import TASK_WORKERS, TEST_DB
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = [
    pytest.mark.django_db(transaction=True, databases=["default", "other"]),
    pytest.mark.skipif(TEST_DB != "postgres", reason="workers share the PostgreSQL test database"),
    pytest.mark.skipif(
        not TASK_WORKERS, reason="django-tasks-db, the workers' backend, is not installed"
    ),
]

ROOT = Path(__file__).resolve().parents[2]
BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def workers(settings: Any) -> Iterator[list[subprocess.Popen[str]]]:
    """Two worker processes on the test database, three tasks each at most."""
    settings.TASKS = BACKEND
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "example")]),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "GRAFT_TEST_ON_TEST_DATABASES": "1",
        "GRAFT_TEST_TASKS": "1",
    }
    command = [sys.executable, "-m", "django", "db_worker", "--interval", "0.1"]
    command += ["--no-startup-delay", "--no-reload", "--max-tasks", "3"]
    started = [
        subprocess.Popen(
            [*command, "--worker-id", f"worker-{number}"],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for number in (1, 2)
    ]
    try:
        yield started
    finally:
        for process in started:
            process.terminate()
            process.wait(timeout=30)
            if process.stderr:
                process.stderr.close()


def test_each_root_is_a_task_of_a_worker(
    world: World, tmp_path: Path, workers: list[subprocess.Popen[str]]
) -> None:
    from django_tasks_db.models import DBTaskResult

    for name in ("Initech", "Umbrella", "Hooli"):
        m.Organisation.objects.create(name=name)
    orgs = list(m.Organisation.objects.order_by("pk"))
    missing = orgs[-1].pk + 1000
    roots = {m.Organisation: [org.pk for org in orgs] + [missing]}

    result = export_each(roots, tmp_path / "{pk}.jsonl")

    assert result.on_workers
    assert sorted(e.pk for e in result.done) == [org.pk for org in orgs]
    assert [e.pk for e in result.failed] == [missing]
    assert (result.failed[0].error or "").startswith(
        f"No testapp.organisation with primary key {missing} exists"
    )
    ran = DBTaskResult.objects.values_list("worker_ids", flat=True)
    assert sorted(worker for ids in ran for worker in ids) == ["worker-1"] * 3 + ["worker-2"] * 3
    manifest = json.loads((tmp_path / "graft-manifest.json").read_text())
    entries = {entry["pk"]: entry for entry in manifest["roots"]}
    for org in orgs:
        path = tmp_path / f"{org.pk}.jsonl"
        alone = tmp_path / "alone.jsonl"
        export(org, alone)
        assert records(path) == records(alone)
        assert entries[org.pk]["sha256"] == trailer_hash(path)
    for process in workers:  # each took its three tasks, and stopped
        assert process.wait(timeout=60) == 0, process.stderr.read() if process.stderr else ""


def test_a_rerun_sends_only_what_is_left(
    world: World, tmp_path: Path, settings: Any, workers: list[subprocess.Popen[str]]
) -> None:
    export_each([world.org], tmp_path / "{pk}.jsonl", workers=False)
    result = export_each([world.org, world.other_org], tmp_path / "{pk}.jsonl")
    assert result.on_workers
    assert [e.pk for e in result.skipped] == [world.org.pk]
    assert [e.pk for e in result.done] == [world.other_org.pk]


def test_deletes_spread_over_workers_too(
    world: World, tmp_path: Path, workers: list[subprocess.Popen[str]]
) -> None:
    small = m.Organisation.objects.create(name="Small")
    result = delete_each([world.org, small, world.other_org], tmp_path / "{pk}.jsonl")
    assert result.on_workers
    assert sorted(e.pk for e in result.done) == sorted([world.org.pk, small.pk])
    assert [e.pk for e in result.failed] == [world.other_org.pk]  # a PROTECT row outside
    assert list(m.Organisation.objects.values_list("name", flat=True)) == ["Globex"]
    for entry in result.done:
        assert entry.sha256 == trailer_hash(Path(entry.archive))


def test_imports_of_a_manifest_spread_over_workers(
    world: World, tmp_path: Path, workers: list[subprocess.Popen[str]]
) -> None:
    exported = export_each([world.org, world.other_org], tmp_path / "{pk}.jsonl", workers=False)
    assert len(exported.done) == 2
    result = import_each(exported.manifest, using="other")
    assert result.on_workers
    if result.failed:
        # Both trees need the same people and country: two imports at once can find
        # them half there; the documented remedy is the rerun, which finishes.
        again = import_each(exported.manifest, using="other")
        assert again.failed == [], [entry.error for entry in again.failed]
        assert len(again.done) == len(result.failed)
    else:
        assert len(result.done) == 2
    names = m.Organisation.objects.using("other").values_list("name", flat=True)
    assert sorted(names) == ["Acme", "Globex"]
