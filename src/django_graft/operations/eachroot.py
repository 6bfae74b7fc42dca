"""Export or delete one root of a run over many: its manifest entry, done or failed.

What :func:`~django_graft.operations.each.export_each` and
:func:`~django_graft.operations.each.delete_each` run for each root, in
their own process or, through :mod:`django_graft.operations.workers`, in a
task worker's.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypedDict

from django.db import DatabaseError
from django.db.models import Model

from django_graft.archive.jsonenc import dumps, loads
from django_graft.archive.reader import read_archive
from django_graft.exceptions import GraftError, ImportWriteError
from django_graft.importer.run import import_archive
from django_graft.operations.delete import delete
from django_graft.operations.export import export
from django_graft.operations.manifest import Entry, Manifest
from django_graft.operations.templates import archive_location
from django_graft.policy.loading import default_policy, load_policy
from django_graft.schema.fieldtypes import archived_key
from django_graft.schema.labels import concrete, model_label, resolve_model
from django_graft.storage import exists, make_folder, open_for_read
from django_graft.storage.failures import summary
from django_graft.tree.roots import key_from_json


def manifest_key(model: type[Model], pk: Any) -> Any:
    """A key as a manifest holds it: JSON, as the archive's header does (UUIDs, dates
    and decimals as text)."""
    return loads(dumps(archived_key(model, pk)))


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

    A root already gone fails by name: whether an earlier run (or one of its
    tasks) deleted it is for :func:`settle_started` to tell, from the manifest.
    """
    if not _present(model, pk, options["using"]):
        label = model_label(model)
        error = f"No {label} with primary key {pk!r} exists in '{options['using']}'."
        return Entry(label, manifest_key(model, pk), archive, "failed", error=error)

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
    or finds them waiting on each other, and the import, rolled back whole,
    is tried again, finding the row there.
    """

    def imported() -> Done:
        tries = 1
        while True:
            try:
                done = import_archive(archive, **options)
                break
            except (ImportWriteError, DatabaseError):  # a race with another import, a deadlock
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
    label, key = model_label(model), manifest_key(model, pk)
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
    root gone was deleted by a run of this manifest (or one of its tasks,
    which may outlive it) if an archive of it is where the template puts it,
    written since its delete was first begun: the archive then tells its
    sha256 and counts. A root begun and gone without such an archive is a
    failure to look at; a root that failed before and is gone without one
    stays as it was.
    """
    settled = []
    for entry in [e for e in run.entries.values() if e.outcome != "done"]:
        if entry.started_at is None:
            continue  # never begun under this manifest
        try:
            model = concrete(resolve_model(entry.model))
            pk = key_from_json(model, entry.pk)
            if _present(model, pk, using):
                continue
        except GraftError as exc:
            settled.append(replace(entry, outcome="failed", error=exc.message))
            continue
        if entry.archive != archive_location(run.template, model, entry.pk):
            error = f"'{entry.archive}' is not where the manifest's template puts this root."
            settled.append(replace(entry, outcome="failed", error=error))
            continue
        found = _from_archive(entry)
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
            read = read_archive(stream)
    except GraftError as exc:
        return replace(entry, outcome="failed", error=gone + f"cannot be read: {exc.message}")
    if {"model": entry.model, "pk": entry.pk} not in read.header.get("roots", []):
        return replace(entry, outcome="failed", error=gone + "holds other roots.")
    if not _written_since(read.header.get("created_at"), entry.started_at):
        error = gone + "was written before this run began deleting it: it is not this run's."
        return replace(entry, outcome="failed", error=error)
    return replace(entry, outcome="done", sha256=read.sha256, counts=read.counts)


def _written_since(created_at: Any, started_at: str | None) -> bool:
    try:
        created = datetime.datetime.fromisoformat(str(created_at))
        started = datetime.datetime.fromisoformat(str(started_at))
        return created >= started
    except (TypeError, ValueError):
        return False


def run_job(job: Job) -> dict[str, Any]:
    """Run the job of one root (in a worker); its manifest entry as JSON."""
    model = concrete(resolve_model(job["label"]))
    pk = key_from_json(model, job["pk"])
    policy = load_policy(job["policy"]) if job["policy"] else default_policy()
    options = {**job["options"], "policy": policy, "using": job["database"]}
    return ONE_ROOT[job["operation"]](model, pk, job["archive"], options).as_json()
