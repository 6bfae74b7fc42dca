"""The ``django.tasks`` task that runs admin operations in the background (Django 6.0+).

Imported only when :func:`django_graft.admin.background.available` says a backend is
configured, since ``django.tasks`` does not exist before Django 6.0. A
backend finds a task by its dotted path, which must name the task itself:
hence a function of its own here, handing the job to
:func:`~django_graft.admin.background.run`. It takes the task's context for
its result's id, the key its progress is reported under.
"""

from __future__ import annotations

from typing import Any

from django.tasks import TaskContext, task

from django_graft.admin.background import Job, run


@task(takes_context=True)
def graft_operation(context: TaskContext[Any, Any], job: Job) -> dict[str, Any]:
    return run(job, job_id=context.task_result.id)
