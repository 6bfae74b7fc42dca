"""Export or delete one root of a run over many: its manifest entry, done or failed.

What :func:`~django_graft.operations.each.export_each` and
:func:`~django_graft.operations.each.delete_each` run for each root, in
their own process or, through :mod:`django_graft.operations.workers`, in a
task worker's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypedDict

from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.db.models import Model

from django_graft.archive.reader import read_archive
from django_graft.exceptions import GraftError, ImportWriteError
from django_graft.importer.run import import_archive
from django_graft.operations.delete import delete
from django_graft.operations.export import export
from django_graft.operations.manifest import Entry, Manifest
from django_graft.policy.loading import default_policy, load_policy
from django_graft.schema.fieldtypes import archived_key
from django_graft.schema.labels import concrete, model_label, resolve_model
from django_graft.storage import exists, make_folder, open_for_read
from django_graft.storage.failures import summary


class Job(TypedDict):
    """One root to export, delete or import, as a task's arguments: plain JSON."""

    #: "export", "delete" (with its archive written first) or "import".
    operation: str
    label: str
    pk: Any
    archive: str
    database: str
    #: The policy's dotted path; None for the default policy.
    policy: str | None
    #: The operation's other options (JSON): format, pks, on_conflict...
    options: dict[str, Any]


def export_root(model: type[Model], pk: Any, archive: str, options: dict[str, Any]) -> Entry:
    """Export one root; its manifest entry, done or failed."""

    def exported() -> Done:
        done = export({model: [pk]}, archive, **options)
        return done.sha256, done.counts

    return _one(model, pk, archive, exported)


def delete_root(model: type[Model], pk: Any, archive: str, options: dict[str, Any]) -> Entry:
    """Delete one root and what it owns, its archive written and read back first.

    A root already gone was deleted by an earlier run (or task) that did not
    live to say so: its archive tells whether that delete archived it.
    """
    if not _present(model, pk, options["using"]):
        gone = Entry(model_label(model), archived_key(model, pk), archive, "failed")
        if exists(archive):
            return _from_archive(gone)
        gone.error = (
            f"No {gone.model} with primary key {gone.pk!r} exists in '{options['using']}', "
            f"and no archive of it is at '{archive}'."
        )
        return gone

    def deleted() -> Done:
        done = delete({model: [pk]}, archive=archive, **options)
        assert done.archive is not None  # asked for
        return done.archive.sha256, done.archive.counts

    return _one(model, pk, archive, deleted)


#: How many times the import of one root is tried when the database refuses it.
IMPORT_TRIES = 3


def import_root(model: type[Model], pk: Any, archive: str, options: dict[str, Any]) -> Entry:
    """Import the archive of one root; its counts are the rows created.

    Imports running at once (workers) can each create the same needed row
    (a user several tenants share): the database refuses all but the first,
    and the import, rolled back whole, is tried again, finding the row there.
    """

    def imported() -> Done:
        tries = 1
        while True:
            try:
                done = import_archive(archive, **options)
                break
            except ImportWriteError:
                if tries == IMPORT_TRIES:
                    raise
                tries += 1
        return done.sha256, {label: r.created for label, r in done.models.items() if r.created}

    return _one(model, pk, archive, imported, writes=False)


#: The sha256 of the archive written or read, and its counts.
Done = tuple[str, dict[str, int]]


def _one(
    model: type[Model], pk: Any, archive: str, work: Callable[[], Done], *, writes: bool = True
) -> Entry:
    label, key = model_label(model), archived_key(model, pk)
    try:
        if writes:
            make_folder(archive)
        sha256, counts = work()
    except GraftError as exc:
        return Entry(label, key, archive, "failed", error=exc.message)
    except DatabaseError as exc:
        return Entry(label, key, archive, "failed", error=f"The database failed: {summary(exc)}")
    except OSError as exc:
        error = f"'{archive}' cannot be written: {exc.strerror or exc}."
        return Entry(label, key, archive, "failed", error=error)
    return Entry(label, key, archive, "done", sha256=sha256, counts=counts)


#: What each operation of a run does to one root.
ONE_ROOT = {"export": export_root, "delete": delete_root, "import": import_root}


def settle_started(run: Manifest, using: str) -> list[Entry]:
    """What became of the roots a run began deleting and did not see done.

    A root still in the database was not deleted: it stays to be done. A
    root gone with its archive in place was deleted after the archive was
    written and read back, which the archive itself tells (its sha256,
    its counts, its roots); a root started and gone without one is a
    failure to look at. A root recorded as failed and gone since (the
    delete of a task that outlived the run that sent it) is done if its
    archive says so.
    """
    settled = []
    for entry in [e for e in run.entries.values() if e.outcome != "done"]:
        try:
            model = concrete(resolve_model(entry.model))
        except GraftError:
            settled.append(replace(entry, outcome="failed", error="No such model is installed."))
            continue
        pk = tuple(entry.pk) if isinstance(entry.pk, list) else entry.pk
        try:
            if _present(model, pk, using):
                continue
        except (ValueError, TypeError, ValidationError):
            error = f"{entry.pk!r} is not a key of {entry.model}."
            settled.append(replace(entry, outcome="failed", error=error))
            continue
        found = _from_archive(entry)
        # A root that failed before and is gone now is news only if its archive is whole.
        if entry.outcome == "started" or found.outcome == "done":
            settled.append(found)
    return settled


def _present(model: type[Model], pk: Any, using: str) -> bool:
    return bool(model._base_manager.using(using).filter(pk=pk).exists())


def _from_archive(entry: Entry) -> Entry:
    gone = f"The root was deleted, but its archive '{entry.archive}' "
    try:
        if not exists(entry.archive):
            return replace(entry, outcome="failed", error=gone + "is not there.")
        with open_for_read(entry.archive) as stream:
            summary_ = read_archive(stream)
    except GraftError as exc:
        return replace(entry, outcome="failed", error=gone + f"cannot be read: {exc.message}")
    roots = summary_.header.get("roots", [])
    if {"model": entry.model, "pk": entry.pk} not in roots:
        return replace(entry, outcome="failed", error=gone + "holds other roots.")
    return replace(entry, outcome="done", sha256=summary_.sha256, counts=summary_.counts)


def run_job(job: Job) -> dict[str, Any]:
    """Run the job of one root (in a worker); its manifest entry as JSON."""
    model = concrete(resolve_model(job["label"]))
    pk = tuple(job["pk"]) if isinstance(job["pk"], list) else job["pk"]
    policy = load_policy(job["policy"]) if job["policy"] else default_policy()
    options = {**job["options"], "policy": policy, "using": job["database"]}
    return ONE_ROOT[job["operation"]](model, pk, job["archive"], options).as_json()
