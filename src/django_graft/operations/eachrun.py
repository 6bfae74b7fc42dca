"""The loop of a run over many roots: skip what is done, run the rest, keep the manifest.

Each root runs in this process or, when a task backend is configured, as
a task of the project's workers (:mod:`django_graft.operations.workers`);
either way its entry goes into the manifest as soon as it ends, and the
manifest is saved at the end whatever happens (an error, Ctrl-C).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model

from django_graft.exceptions import GraftError
from django_graft.operations import workers as task_workers
from django_graft.operations.eachroot import ONE_ROOT, Job, settle_started
from django_graft.operations.manifest import Entry, Manifest
from django_graft.policy.loading import load_policy
from django_graft.policy.rules import Policy
from django_graft.schema.labels import model_label
from django_graft.storage import exists


@dataclass
class EachResult:
    """What a run over many roots did; the manifest holds the same, per root."""

    manifest: str
    #: Whether the roots went to task workers rather than ran in this process.
    on_workers: bool = False
    done: list[Entry] = field(default_factory=list)
    #: Roots the manifest had done already, skipped.
    skipped: list[Entry] = field(default_factory=list)
    failed: list[Entry] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.done) + len(self.skipped) + len(self.failed)

    def __repr__(self) -> str:
        return (
            f"<EachResult {len(self.done)} done, {len(self.skipped)} skipped, "
            f"{len(self.failed)} failed; manifest {self.manifest}>"
        )


@dataclass(frozen=True)
class Root:
    """One root of a run: its model and key, and the archive it is written to or read from."""

    model: type[Model]
    pk: Any
    #: The key as the archive and the manifest hold it (JSON).
    key: Any
    archive: str
    #: The sha256 the archive must have (an import of an export's archives).
    expect: str | None = None


def where_to_run(policy: Policy | str | None, workers: bool | None) -> tuple[bool, Policy | None]:
    """Whether the roots go to task workers, and the policy (loaded here, refused here)."""
    loaded = load_policy(policy) if isinstance(policy, str) else policy
    on_workers = task_workers.available() if workers is None else workers
    if on_workers and isinstance(policy, Policy):
        if workers:
            raise GraftError(
                "Roots run on task workers take their policy as a dotted path (a worker "
                "loads it): give policy='myproject.graft.policy', or workers=False."
            )
        on_workers = False
    return on_workers, loaded


def run_each(
    operation: str,
    run: Manifest,
    roots: Iterable[Root],
    *,
    policy: Policy | str | None,
    workers: bool | None,
    options: dict[str, Any],
) -> EachResult:
    """Run ``operation`` on every root the manifest has not done; the result."""
    on_workers, loaded = where_to_run(policy, workers)
    result = EachResult(run.location, on_workers=on_workers)
    one = ONE_ROOT[operation]
    # A delete may commit before the manifest says so: it is marked started first.
    marks = operation == "delete"

    def record(entry: Entry) -> None:
        run.record(entry)
        (result.done if entry.outcome == "done" else result.failed).append(entry)

    try:
        settled = set()
        if marks:
            for entry in settle_started(run, run.database):
                record(entry)
                settled.add(entry.key)
        pending = []
        for root in roots:
            label = model_label(root.model)
            if (label, json.dumps(root.key)) in settled:
                continue  # settled above, done or failed
            before = run.done(label, root.key)
            if before is None:
                pending.append(root)
            else:
                result.skipped.append(before)
        if marks:
            pending = [root for root in pending if not _replaces_archive(run, root, record)]
        if on_workers:
            if marks:
                mark_started(run, pending)
            jobs = [job_of(operation, root, run, policy, options) for root in pending]
            if jobs:
                task_workers.spread(jobs, record)
            return result
        marked = 0
        for number, root in enumerate(pending):
            if marks and number >= marked:
                # Marked a batch at a time, each as large as all done so far: a
                # manifest saved a few times rather than once per root.
                marked = number + max(1, number)
                mark_started(run, pending[number:marked])
            given = {**options, "sha256": root.expect} if root.expect else options
            record(one(root.model, root.pk, root.archive, {**given, "policy": loaded}))
    finally:
        run.save()
    return result


def mark_started(run: Manifest, roots: list[Root]) -> None:
    """Note in the manifest, saved at once, that these roots are about to be deleted.

    The time of the first mark of a root stays: an archive written since is
    this manifest's own.
    """
    for root in roots:
        label = model_label(root.model)
        before = run.entries.get((label, json.dumps(root.key)))
        mark = Entry(label, root.key, root.archive, "started")
        mark.started_at = (before and before.started_at) or mark.finished_at
        run.entries[mark.key] = mark
    run.save()


def _replaces_archive(run: Manifest, root: Root, record: Callable[[Entry], None]) -> bool:
    """Whether deleting ``root`` would replace an archive no run of this manifest wrote.

    Such an archive is another delete's (the only copy of a tree), or an
    export's: a delete never writes over it. Records the refusal.
    """
    label = model_label(root.model)
    before = run.entries.get((label, json.dumps(root.key)))
    if (before is not None and before.started_at is not None) or not exists(root.archive):
        return False  # a delete of this manifest began: the archive there is its own
    error = (
        f"An archive is already at '{root.archive}', which this run did not write: a delete "
        "never replaces one. Move it away, or give the delete another template."
    )
    record(Entry(label, root.key, root.archive, "failed", error=error))
    return True


def job_of(
    operation: str, root: Root, run: Manifest, policy: Policy | str | None, options: dict[str, Any]
) -> Job:
    """The task's arguments for one root: plain JSON."""
    return Job(
        operation=operation,
        label=model_label(root.model),
        pk=root.key,
        archive=root.archive,
        database=run.database,
        policy=policy if isinstance(policy, str) else None,
        options={**options, "sha256": root.expect} if root.expect else options,
    )
