"""Export one root of a run over many: its manifest entry, done or failed.

What :func:`~django_graft.operations.each.export_each` runs for each root,
in its own process or, through :mod:`django_graft.operations.workers`, in a
task worker's.
"""

from __future__ import annotations

from typing import Any, TypedDict

from django.db import DatabaseError
from django.db.models import Model

from django_graft.exceptions import GraftError
from django_graft.operations.export import export
from django_graft.operations.manifest import Entry
from django_graft.policy.loading import default_policy, load_policy
from django_graft.schema.fieldtypes import archived_key
from django_graft.schema.labels import concrete, model_label, resolve_model
from django_graft.storage import make_folder
from django_graft.storage.failures import summary


class Job(TypedDict):
    """One root to export, as a task's arguments: plain JSON."""

    label: str
    pk: Any
    archive: str
    database: str
    #: The policy's dotted path; None for the default policy.
    policy: str | None
    format: str | None
    natural_foreign: bool
    natural_primary: bool


def export_root(model: type[Model], pk: Any, archive: str, options: dict[str, Any]) -> Entry:
    """Export one root; its manifest entry, done or failed."""
    label, key = model_label(model), archived_key(model, pk)
    try:
        make_folder(archive)
        exported = export({model: [pk]}, archive, **options)
    except GraftError as exc:
        return Entry(label, key, archive, "failed", error=exc.message)
    except DatabaseError as exc:
        return Entry(label, key, archive, "failed", error=f"The database failed: {summary(exc)}")
    return Entry(label, key, archive, "done", sha256=exported.sha256, counts=exported.counts)


def run_job(job: Job) -> dict[str, Any]:
    """Export the root a job names (in a worker); its manifest entry as JSON."""
    model = concrete(resolve_model(job["label"]))
    pk = tuple(job["pk"]) if isinstance(job["pk"], list) else job["pk"]
    policy = load_policy(job["policy"]) if job["policy"] else default_policy()
    options = {
        "policy": policy,
        "using": job["database"],
        "format": job["format"],
        "natural_foreign": job["natural_foreign"],
        "natural_primary": job["natural_primary"],
    }
    return export_root(model, pk, job["archive"], options).as_json()
