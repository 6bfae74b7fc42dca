"""The task that exports one root of a run over many, on whatever worker takes it.

Imported only when :func:`django_graft.operations.workers.available` says a
task backend is configured: ``django.tasks`` exists from Django 6.0, and
before it the ``django-tasks`` backport provides the same API. A backend
finds a task by its dotted path, so the path of this function is part of
what queued jobs carry.
"""

from __future__ import annotations

from typing import Any

try:
    from django.tasks import task
except ImportError:  # Django before 6.0: the backport
    from django_tasks import task  # type: ignore[no-redef,import-not-found,unused-ignore]

from django_graft.operations.eachroot import Job, run_job


@task()
def graft_root(job: Job) -> dict[str, Any]:
    """Export one root as its job says; its manifest entry, as JSON."""
    return run_job(job)
