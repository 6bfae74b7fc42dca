"""Spread the roots of a run over task workers, through ``django.tasks``.

When the project configures a task backend (``TASKS``: on Django 6.0+ any
backend; before, the ``django-tasks`` backport), each root of
:func:`~django_graft.operations.each.export_each` is one task: as many
worker processes as the deployment runs, on as many machines, export roots
at once. The process that started the run enqueues every root, then waits
for their results and writes each into the manifest as it comes. A task's
arguments are plain JSON (a job), so a worker rebuilds the policy from its
dotted path: a run whose policy is a :class:`Policy` object, rather than
the path to one, runs in its own process.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable
from typing import Any

import django
from django.conf import settings

from django_graft.operations.eachroot import Job
from django_graft.operations.manifest import Entry
from django_graft.storage.failures import summary

#: How often the waiting process asks for the results of the tasks.
POLL_SECONDS = 0.5


def available() -> bool:
    """Whether the project has configured a task backend for the roots to go to."""
    configured: Any = settings  # is_overridden() is not in the settings stubs
    if not configured.is_overridden("TASKS"):
        return False
    return django.VERSION >= (6, 0) or importlib.util.find_spec("django_tasks") is not None


def spread(jobs: list[Job], record: Callable[[Entry], None]) -> None:
    """Run each job as a task; ``record`` each root's entry as its task ends."""
    from django_graft.operations.roottask import graft_root  # django.tasks may be missing

    waiting = {graft_root.enqueue(job).id: job for job in jobs}
    while waiting:
        time.sleep(POLL_SECONDS)
        for task_id in list(waiting):
            try:
                result = graft_root.get_result(task_id)
            except Exception as exc:  # the backend's own: a result pruned, a lost broker
                job = waiting.pop(task_id)
                error = f"The task's result cannot be read ({summary(exc)}); run again."
                record(Entry(job["label"], job["pk"], job["archive"], "failed", error=error))
                continue
            if not result.is_finished:
                continue
            job = waiting.pop(task_id)
            if result.status == "SUCCESSFUL":
                record(entry_of(result.return_value))
            else:
                record(failed(job, result.errors))


def entry_of(data: dict[str, Any]) -> Entry:
    fields = {name: data.get(name) for name in ("sha256", "error")}
    return Entry(
        data["model"],
        data["pk"],
        data["archive"],
        data["outcome"],
        counts=data.get("counts", {}),
        finished_at=data["finished_at"],
        **fields,
    )


def failed(job: Job, errors: list[Any]) -> Entry:
    """The entry of a root whose task failed outside the export (a worker that died, say)."""
    last = errors[-1].traceback.strip().splitlines()[-1] if errors else "no error recorded"
    error = f"The task failed: {last}"
    return Entry(job["label"], job["pk"], job["archive"], "failed", error=error)
