"""The ``django.tasks`` task that runs admin operations in the background (Django 6.0+).

Imported only when :func:`django_graft.jobs.available` says a backend is
configured, since ``django.tasks`` does not exist before Django 6.0. The
task is a function of its own, repeating :func:`~django_graft.jobs.run`'s
signature, because a backend finds a task by its dotted path, which must
name the task itself.
"""

from __future__ import annotations

from typing import Any

from django.tasks import task

from django_graft.jobs import run


@task
def graft_operation(
    operation: str,
    label: str,
    pks: list[Any],
    database: str,
    user_pk: Any,
    options: dict[str, Any],
) -> dict[str, Any]:
    return run(operation, label, pks, database, user_pk, options)
