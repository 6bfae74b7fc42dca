"""Large admin operations as background tasks, through ``django.tasks`` (Django 6.0+).

An operation on more than ``GRAFT["BACKGROUND_ROWS"]`` rows is enqueued
instead of run in the request when the project configures ``TASKS``
itself (Django's built-in default runs tasks in the request anyway). The
task redoes the walk from the same roots, checks the user's permissions
again, runs the operation and records it in the audit log; its return value
is what the job page shows.
"""

from __future__ import annotations

from typing import Any, TypedDict

import django
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model

from django_graft.admin import signature
from django_graft.admin.authorise import AdminAuthoriser, admit
from django_graft.admin.jobprogress import CacheProgress
from django_graft.admin.operations import perform, recorded
from django_graft.admin.preview import build_preview
from django_graft.conf import graft_settings
from django_graft.exceptions import GraftError, PermissionRefused
from django_graft.importer.run import import_archive
from django_graft.operations import audit
from django_graft.render.progress import reporting
from django_graft.schema.labels import resolve_model


def available() -> bool:
    """Whether the project has configured a task backend for django-graft to use."""
    configured: Any = settings  # is_overridden() is not in the settings stubs
    return django.VERSION >= (6, 0) and bool(configured.is_overridden("TASKS"))


def should_enqueue(rows: int) -> bool:
    return available() and rows > graft_settings.BACKGROUND_ROWS


def outcome(kind: str, message: str = "", entry: Any = None) -> dict[str, Any]:
    """What a job returns (JSON, as task results must be): its outcome and log entry."""
    return {
        "outcome": kind,
        "message": message,
        "counts": entry.counts if entry else {},
        "location": entry.location if entry else "",
        "sha256": entry.sha256 if entry else "",
    }


def announce(request: Any, job: Any, done: str) -> None:
    """Tell the user how a job that already ran ended (backends that run tasks at once)."""
    result = job.return_value or {}
    level = messages.SUCCESS if result.get("outcome") == "success" else messages.ERROR
    messages.add_message(
        request, level, result.get("message") or f"{done}: {result.get('counts')}."
    )


class Job(TypedDict):
    """One operation to run in the background: plain JSON, as task arguments must be."""

    operation: str
    #: The model of the roots, ``app_label.model`` ("" for an import).
    label: str
    pks: list[Any]
    database: str
    #: The primary key of the user it runs for.
    user: Any
    options: dict[str, Any]


def run(job: Job, job_id: str = "") -> dict[str, Any]:
    """Run one admin operation for its user; what its job page shows.

    With ``job_id``, its progress goes to the cache for the job's page.
    """
    if not job_id:
        return _run(job)
    with reporting(CacheProgress(job_id)):
        return _run(job)


def _run(job: Job) -> dict[str, Any]:
    user = get_user_model()._default_manager.get(pk=job["user"])
    operation, database, options = job["operation"], job["database"], job["options"]
    if operation == "import":
        return _import(user, database, **options)
    model = resolve_model(job["label"])
    queryset = model._base_manager.using(database).filter(pk__in=job["pks"])
    # The walk is redone: rows may have changed since the page was shown.
    preview = build_preview(operation, queryset, user)
    if not preview.objects:
        return outcome("refused", "The selected rows no longer exist.")
    if not preview.allowed:
        reasons = [*preview.lacking, *(str(b) for b in preview.blockers)]
        return outcome("refused", "; ".join(reasons))
    try:
        with recorded(preview, user) as entry:
            perform(preview, options, entry)
    except GraftError as exc:
        return outcome("failure", exc.message)
    return outcome("success", entry=entry)


def _import(user: Any, database: str, location: str, pks: str, on_conflict: str) -> dict[str, Any]:
    """An import from the admin's page, checked again as the page checked it."""
    authorise = AdminAuthoriser(user)
    try:
        verdict = signature.judge(user, location)
        if verdict is not None and verdict.lacking:
            return outcome("refused", verdict.lacking)
        admit(user, location)
        import_archive(
            location,
            using=database,
            pks=pks,
            on_conflict=on_conflict,
            dry_run=True,
            authorise=authorise,
        )
    except PermissionRefused as exc:
        return outcome("refused", "; ".join(exc.lacking))
    except GraftError as exc:
        return outcome("failure", exc.message)
    try:
        with audit.recorded("import", via="admin", database=database, roots=[], user=user) as entry:
            entry.location = location
            result = import_archive(
                location,
                using=database,
                pks=pks,
                on_conflict=on_conflict,
                authorise=authorise,
                require_signed=signature.required(user),
            )
            entry.counts = {k: r.created + r.updated for k, r in result.models.items()}
            entry.sha256 = result.sha256
    except GraftError as exc:
        return outcome("failure", exc.message)
    return outcome("success", entry=entry)
