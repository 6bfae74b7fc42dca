"""The page of an operation running in the background: its status, then its outcome.

While it runs, the page refreshes every two seconds and shows the progress
the task reports to the cache (:mod:`.jobprogress`), when the cache is one
the web process shares with the worker.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from django_graft.admin.jobprogress import read_progress
from django_graft.admin.optionrows import option_rows
from django_graft.admin.pagecontext import page_context


def job_view(modeladmin: Any, request: HttpRequest, job_id: str) -> HttpResponse:
    # django.tasks exists from Django 6.0; reached only when a task backend is configured.
    from django.tasks.exceptions import TaskResultDoesNotExist

    from django_graft.admin.task import graft_operation

    try:
        job = graft_operation.get_result(job_id)
    except (TaskResultDoesNotExist, NotImplementedError):
        raise Http404(f"No background operation {job_id!r} (or the backend keeps none).") from None
    (task,) = job.args  # a django_graft.admin.background.Job
    if task["user"] != request.user.pk and not getattr(request.user, "is_superuser", False):
        raise PermissionDenied("This is another user's operation.")
    context = {
        **page_context(modeladmin, request, f"Background {task['operation']}"),
        "job": job,
        # A finished job shows its outcome instead.
        "progress": None if job.is_finished else read_progress(job_id),
        "options": option_rows(task["operation"], task["database"], task["options"]),
        "operation": task["operation"],
        "roots": [f"{task['label']}:{pk}" for pk in task["pks"]],
        "database": task["database"],
        "outcome": job.return_value if job.is_finished and job.status == "SUCCESSFUL" else None,
        "errors": [error.traceback.splitlines()[-1] for error in job.errors],
    }
    return TemplateResponse(request, "admin/django_graft/job.html", context)
