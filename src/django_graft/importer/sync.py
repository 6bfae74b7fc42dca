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

from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import Model

from django_graft.db.batching import chunked, key_batch_size
from django_graft.exceptions import ConflictError, DeleteBlocked, ImportRefused
from django_graft.importer.fingerprints import fingerprints
from django_graft.importer.ledger import Ledger
from django_graft.importer.planned import Plan
from django_graft.importer.result import Conflict, ImportResult
from django_graft.operations.delete import blocked_message, delete
from django_graft.policy.rules import Policy
from django_graft.render.lists import listed
from django_graft.schema.labels import model_label
from django_graft.storage import Destination


@dataclass(frozen=True)
class Sync:
    """What a sync was asked to do besides writing the archive's rows."""

    prune: bool = False
    #: Where the pruned rows are archived before they go (as ``delete(archive=...)``).
    archive: Destination | None = None
    #: The tree's id in the ledger where its roots do not say it (a clone's copy,
    #: :mod:`django_graft.operations.clonesync`); called with the import's result
    #: where it is known only once the rows are written (the first copy).
    tree: str | Callable[[ImportResult], str] | None = None


def check_untouched(plan: Plan, ledger: Ledger) -> None:
    """Lock the rows a sync overwrites for the source; refuse if this database changed one."""
    changed = []
    for mp in plan.order:
        if not mp.synced:
            continue
        targets = {key: mp.update[key] for key in mp.synced}
        _lock(mp.model, list(targets.values()), plan.using)
        now = fingerprints(mp.model, list(targets.values()), plan.using)
        olds = {key: mp.adopted.get(key, key) for key in targets}
        entries = ledger.entries.get(mp.model)
        synced = entries.fingerprints(list(olds.values())) if entries is not None else {}
        for key, target in targets.items():
            kept = synced.get(olds[key])
            if kept is None or now.get(target) != kept:
                reason = f"the row {target!r} it was synced to changed while the sync ran"
                changed.append(Conflict(mp.label, key, reason=reason))
    if changed:
        raise ConflictError(
            f"{len(changed)} row(s) were changed in database '{plan.using}' while the sync "
            f"ran:\n{listed(changed)}\nNothing was written. Run the sync again to see them as "
            "conflicts.",
            conflicts=changed,
        )


def _check_held(
    plan: Plan, result: ImportResult, pruned: dict[type[Model], AbstractSet[Any]], *, dry_run: bool
) -> None:
    """Refuse a prune that would take rows of the archive with it.

    Deleting a row takes what it owns (``CASCADE``) and, for a multi-table
    child, its parent rows: rows the archive still holds may be among them
    (a child moved at the source while this database kept its own version,
    a parent whose child alone the source deleted). After the writes, every
    row of the archive points where the archive says; in a dry run, before
    them, only the rows that stay as they are (skipped, matched) are sure
    to be where they will be: a row updated, or one it owns, may yet move.
    """
    held = _images(plan, result, dry_run=dry_run)
    caught = sorted(
        f"{model_label(model)} {key!r}"
        for model, keys in held.items()
        for key in keys & pruned.get(model, set())
    )
    if caught:
        raise ImportRefused(
            f"The prune would delete {len(caught)} row(s) the archive still holds, with the "
            f"rows it prunes (what they own, or a multi-table child's parents): "
            f"{', '.join(caught[:20])}{' ...' if len(caught) > 20 else ''}. Nothing was "
            "written. Settle the rows in conflict (--on-conflict update), or sync without "
            "--prune and delete what the source removed with graft_delete."
        )


def _images(
    plan: Plan, result: ImportResult, *, dry_run: bool, moved: bool = False
) -> dict[type[Model], set[Any]]:
    """``{model: keys here}`` of the archive's rows: written (or, in a dry run, those that stay).

    With ``moved``, a dry run's images include the rows it updates or finds unchanged.
    """
    images: dict[type[Model], set[Any]] = {}
    for mp in plan.order:
        if not dry_run:
            images[mp.model] = set(result.key_map.get(mp.label, {}).values())
            continue
        found = {*mp.skip.values(), *mp.matched.values()}
        if moved:
            found.update(mp.unchanged.values(), mp.update.values())
        images[mp.model] = found
    return images


def _existing(model: type[Model], keys: list[Any], using: str) -> set[Any]:
    manager = model._base_manager.using(using)
    found: set[Any] = set()
    for batch in chunked(keys, key_batch_size(connections[using])):
        found.update(manager.filter(pk__in=batch).values_list("pk", flat=True))
    return found


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
        needs = set(mp.spool.needed)  # the other rows of the archive are owned
        key_map: Mapping[Any, Any] = result.key_map.get(mp.label, {})
        # Only rows the sync made, or made before: a row here that a row of the
        # archive collided with and overwrote (--on-conflict update) stays the
        # database's own, which no prune may delete.
        made = [key for key in mp.update if ledger.entry(mp.model, key) or key in mp.adopted]
        adopted = [key for key in mp.adopted if key not in mp.skip]
        keys = [*mp.create, *made, *mp.resynced, *adopted]
        written = {key: key_map[key] for key in keys if key not in needs}
        # A row taken over and kept as this database has it (--on-conflict skip)
        # keeps its old entry's fingerprints, under the new row's key: the next
        # sync finds the conflict again, and a prune leaves it.
        kept = {key: old for key, old in mp.adopted.items() if key in mp.skip}
        ledger.move(mp.model, kept)
        ledger.forget(mp.model, [old for key, old in mp.adopted.items() if key not in kept])
        ledger.record(mp.model, written, mp.sources)
        # Needed rows (created, or matched): found again next time, never pruned.
        needed = {
            key: key_map[key]
            for key in [*mp.create, *mp.matched]
            if key in needs and _new_image(ledger, mp.model, key, key_map[key])
        }
        ledger.record(mp.model, needed, mp.sources, role="need")


def _new_image(ledger: Ledger, model: type[Model], key: Any, target: Any) -> bool:
    entry = ledger.entry(model, key)
    return entry is None or entry.target != target


def prune_forgotten(
    plan: Plan,
    ledger: Ledger,
    result: ImportResult,
    policy: Policy,
    sync: Sync,
    *,
    dry_run: bool,
    on_conflict: str = "fail",
) -> None:
    """Delete the rows an earlier sync created that the archive no longer holds.

    A row this database changed since the last sync (or moved to another
    tree) is a conflict, as for the rows a sync overwrites: ``fail`` refuses
    the sync, ``skip`` leaves the row (no longer kept in step), ``update``
    deletes it.
    """
    gone: dict[type[Model], dict[Any, Any]] = {}
    changed: list[Conflict] = []
    # Every row the archive carries stays, whatever role it has now.
    archived = {mp.model: mp.spool.seen for mp in plan.order}
    # Rows the source re-created went to new rows of the archive.
    taken_over = {mp.model: set(mp.adopted.values()) for mp in plan.order}
    for model, entries in ledger.entries.items():
        kept = archived.get(model, set()) | taken_over.get(model, set())
        left = {key: target for key, target in entries.owned_targets().items() if key not in kept}
        here = _existing(model, list(left.values()), plan.using)
        if not dry_run:  # deleted here too: nothing to prune, nothing to remember
            ledger.forget(model, [key for key, target in left.items() if target not in here])
        left = {key: target for key, target in left.items() if target in here}
        if left and on_conflict != "update":
            now = fingerprints(model, list(left.values()), plan.using)
            synced = entries.fingerprints(list(left))
            mine = [key for key, target in left.items() if now[target] != synced.get(key)]
            label = model_label(model)
            changed.extend(
                Conflict(
                    label,
                    key,
                    reason=f"the source dropped it, and its row {left[key]!r} here was changed "
                    f"in database '{plan.using}' since the last sync",
                )
                for key in mine
            )
            if on_conflict == "skip":
                result.report(label).skipped += len(mine)
                if not dry_run:
                    ledger.forget(model, mine)
                left = {key: target for key, target in left.items() if key not in mine}
        if left:
            gone[model] = left
    if changed and on_conflict == "fail":
        raise ConflictError(
            f"{len(changed)} row(s) the sync would prune were changed in database "
            f"'{plan.using}' since the last sync:\n{listed(changed)}\nNothing was written. "
            "Keep them (--on-conflict skip) or prune them all the same (--on-conflict update).",
            conflicts=changed,
        )
    result.conflicts.extend(changed)
    if not gone:
        return
    roots = {model: sorted(targets.values(), key=repr) for model, targets in gone.items()}
    preview = delete(roots, policy=policy, using=plan.using, dry_run=True, keep_keys=True)
    if preview.blockers:
        raise DeleteBlocked(blocked_message(preview.blockers), blockers=preview.blockers)
    _check_held(plan, result, preview.graph.owned, dry_run=dry_run)
    if dry_run:
        # Before the writes, the prune's rows include the archive's rows that
        # the sync moves elsewhere: those stay.
        images = _images(plan, result, dry_run=True, moved=True)
        for model, keys in preview.graph.owned.items():
            if count := len(keys - images.get(model, set())):
                result.report(model_label(model)).pruned += count
        return
    deleted = delete(roots, policy=policy, using=plan.using, archive=sync.archive)
    for label, count in deleted.deleted.items():
        result.report(label).pruned += count
    if not dry_run:
        for model, left in gone.items():
            ledger.forget(model, list(left))
