"""A sync's steps around the writes: check nothing changed meanwhile, remember, prune.

Planning (:mod:`.syncplan`) decided which rows of this database an archive's
rows are. Before anything is written, the rows a sync overwrites because
only the source changed them are locked and checked again: a change made
here since they were planned is a conflict, and nothing is written. Once
the rows are in, the ledger remembers where each owned row went and what it
holds. With ``prune``, the rows an earlier sync created whose source rows
the archive no longer holds are deleted, as ``delete()`` deletes (blockers
refuse the whole sync; ``SET_NULL`` and the like apply), archived first
when asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import Model

from django_graft.db.batching import chunked, key_batch_size
from django_graft.exceptions import ConflictError, DeleteBlocked
from django_graft.importer.ledger import Ledger, fingerprints
from django_graft.importer.plan import Plan
from django_graft.importer.result import Conflict, ImportResult
from django_graft.operations.delete import blocked_message, delete
from django_graft.policy.rules import Policy
from django_graft.render.lists import listed
from django_graft.storage import Destination


@dataclass(frozen=True)
class Sync:
    """What a sync was asked to do besides writing the archive's rows."""

    prune: bool = False
    #: Where the pruned rows are archived before they go (as ``delete(archive=...)``).
    archive: Destination | None = None


def check_untouched(plan: Plan, ledger: Ledger) -> None:
    """Lock the rows a sync overwrites for the source; refuse if this database changed one."""
    changed = []
    for mp in plan.order:
        if not mp.synced:
            continue
        targets = {key: mp.update[key] for key in mp.synced}
        _lock(mp.model, list(targets.values()), plan.using)
        now = fingerprints(mp.model, list(targets.values()), plan.using)
        for key, target in targets.items():
            entry = ledger.entry(mp.model, key)
            if entry is None or now.get(target) != entry.fingerprint:
                reason = f"the row {target!r} it was synced to changed while the sync ran"
                changed.append(Conflict(mp.label, key, reason=reason))
    if changed:
        raise ConflictError(
            f"{len(changed)} row(s) were changed in database '{plan.using}' while the sync "
            f"ran:\n{listed(changed)}\nNothing was written. Run the sync again to see them as "
            "conflicts.",
            conflicts=changed,
        )


def _lock(model: type[Model], keys: list[Any], using: str) -> None:
    # SELECT ... FOR UPDATE where the database has it; SQLite's writer lock covers the rest.
    manager = model._base_manager.using(using)
    for batch in chunked(keys, key_batch_size(connections[using])):
        list(manager.select_for_update().filter(pk__in=batch).values_list("pk", flat=True))


def remember(plan: Plan, ledger: Ledger, result: ImportResult) -> None:
    """Record where the owned rows the sync created or overwrote went, and what they hold.

    So are the rows found holding a changed record's values already, so that
    the next sync knows that record.
    """
    for mp in plan.order:
        owned = set(mp.spool.owned)
        key_map = result.key_map.get(mp.label, {})
        keys = [*mp.create, *mp.update, *mp.resynced]
        written = {key: key_map[key] for key in keys if key in owned}
        ledger.record(mp.model, written, mp.sources)


def prune_forgotten(
    plan: Plan,
    ledger: Ledger,
    result: ImportResult,
    policy: Policy,
    sync: Sync,
    *,
    dry_run: bool,
) -> None:
    """Delete the rows an earlier sync created that the archive no longer holds."""
    gone: dict[type[Model], dict[Any, Any]] = {}
    archived = {mp.model: set(mp.spool.owned) for mp in plan.order}
    for model, entries in ledger.entries.items():
        kept = archived.get(model, set())
        left = {key: entry.target for key, entry in entries.items() if key not in kept}
        if left:
            gone[model] = left
    if not gone:
        return
    roots = {model: sorted(targets.values(), key=repr) for model, targets in gone.items()}
    deleted = delete(roots, policy=policy, using=plan.using, archive=sync.archive, dry_run=dry_run)
    if deleted.blockers:  # a dry run returns them, where the sync itself would be refused
        raise DeleteBlocked(blocked_message(deleted.blockers), blockers=deleted.blockers)
    for label, count in deleted.deleted.items():
        result.report(label).pruned += count
    if not dry_run:
        for model, left in gone.items():
            ledger.forget(model, list(left))
