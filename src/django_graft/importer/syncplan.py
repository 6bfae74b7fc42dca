"""Plan the owned rows of a sync: the rows an earlier sync of the tree created, and new ones.

An owned row the ledger names is the row it was written as: its links are
followed there, and it is

* *unchanged* when its archive record is the one the ledger last synced
  (the source did not change it: nothing of this database is read), or
  when the stored row holds the archive's values;
* *updated* when it differs and this database has not changed it since the
  last sync (its fingerprint is the one the ledger kept): the source changed it;
* a conflict when this database changed it since, or deleted it: ``skip``
  keeps this database's version, ``update`` writes the archive's (a deleted
  row is created again; it cannot be skipped, since rows of the archive may
  link to it).

Every other owned row is created, with a new key. A row created again
takes a new key, so the rows linking to one are compared with what is
stored, whether or not their records changed.
"""

from __future__ import annotations

from itertools import filterfalse
from typing import TYPE_CHECKING, Any

from django.db.models import Model

from django_graft.importer.compare import differing_fields
from django_graft.importer.fingerprints import fingerprints, record_fingerprints
from django_graft.importer.ledger import Ledger
from django_graft.importer.links import links_of
from django_graft.importer.result import Conflict
from django_graft.policy.rules import Policy

if TYPE_CHECKING:
    from django_graft.importer.plan import Planner
    from django_graft.importer.planned import ModelPlan


def plan_synced(planner: Planner, plan: ModelPlan, ledger: Ledger) -> None:
    gone = _gone(planner, ledger)  # links to the rows still here land on them
    spool = plan.spool
    owned = spool.owned
    plan.sources = spool.prints if spool.prints is not None else record_fingerprints(spool)
    entries = ledger.entries.get(plan.model)
    if entries is None:
        plan.create.update(owned)
        return
    at = entries.targets
    known = list(filter(at.__contains__, owned))
    if len(known) < len(owned):
        plan.create.update(filterfalse(at.__contains__, owned))
    if not known:
        return
    missing = gone.get(plan.model, set())
    # A record the source did not change needs no look here, unless a row it
    # links to is created again (with a new key) by this sync. Most rows are
    # such rows: they are told apart by their records' digests alone.
    gone_models = {model for model, keys in gone.items() if keys}
    trusted = not _links_to(plan.model, gone_models, planner.policy)
    here = list(filterfalse(missing.__contains__, known)) if missing else known
    compared: list[Any] = here
    if trusted:
        # The records read without being parsed are those the ledger knew
        # byte for byte (:mod:`.known`); the others are told by their digests.
        taken = (spool.taken if ledger.took else None) or set()
        same = list(filter(taken.__contains__, here)) if taken else []
        plan.unchanged.update(zip(same, map(at.__getitem__, same), strict=True))
        rest = list(filterfalse(taken.__contains__, here)) if same else here
        sources, synced, unchanged, model = plan.sources, ledger.known, plan.unchanged, plan.model
        compared = []
        for key in rest:
            hit = synced.get(sources[key])  # the record this row was last synced from
            if hit is not None and hit[1] == key and hit[0] is model:
                unchanged[key] = at[key]
            else:
                compared.append(key)
    differing = differing_fields(plan, compared, planner.keys, planner.using, planner.policy, at=at)
    changed = [at[key] for key in compared if differing.get(key) != []]
    now = fingerprints(plan.model, changed, planner.using)
    kept = entries.fingerprints([key for key in compared if differing.get(key) != []])
    where = f"database '{planner.using}'"
    for key in missing:
        _deleted_here(planner, plan, key, where)
    for key in compared:
        target = at[key]
        if differing.get(key) == []:
            plan.unchanged[key] = target
            plan.resynced.add(key)  # the same row, from a record that changed
        elif now.get(target) == kept.get(key):
            plan.update[key] = target
            plan.synced.add(key)
        else:
            fields = differing.get(key)
            differs = f"; the archive's row differs in {', '.join(fields)}" if fields else ""
            planner._collide(
                plan,
                key,
                target,
                reason=f"the row {target!r} it was synced to was changed in {where} since the "
                f"last sync{differs}",
            )


def _gone(planner: Planner, ledger: Ledger) -> dict[type[Model], set[Any]]:
    """``{model: archive keys}`` of the rows an earlier sync created that are gone here.

    Read once for the whole tree, before any model is planned: whether a row
    must be looked at depends on the rows it links to. Links to the rows that
    are still here are pointed at them now, for every model at once, so that
    a row compared with what is stored links where it will (a model planned
    later, in a cycle, included).
    """
    if ledger.gone is None:
        ledger.gone = {}
        spools = planner.contents.spools
        for model, entries in ledger.entries.items():
            spool = spools.get(model)
            if spool is None:
                continue
            archived, at = spool.seen, entries.targets
            if not at.keys() <= archived:  # the source dropped rows: those are pruned, not here
                at = {key: target for key, target in at.items() if key in archived}
            missing = ledger.gone_targets(model, list(at.values()))
            if missing is None:
                present = planner._existing(model, list(at.values()))
                gone = {key for key, target in at.items() if target not in present}
            else:
                gone = {key for key in missing if key in at}
            changes = planner.keys.changes[model]
            if not gone:
                ledger.gone[model] = gone
                changes.update(at)
                continue
            ledger.gone[model] = gone
            changes.update((key, target) for key, target in at.items() if key not in gone)
            # A row created again has a key known once written: a link without a
            # constraint (generic, dynamic) to it is compared as one to a new row.
            planner.keys.pending[model].update(gone)
    return ledger.gone


def _links_to(model: type[Model], targets: set[type[Model]], policy: Policy) -> bool:
    """Whether rows of ``model`` may link to rows of ``targets``.

    Through a generic key, or a dynamic edge typed row by row, to any.
    """
    if not targets:
        return False
    forward, generic = links_of(model)[:2]
    dynamic = policy.dynamic_edges(model)
    return (
        bool(generic)
        or any(link.target in targets for link in forward)
        or any(edge.target is None or edge.target in targets for edge in dynamic)
    )


def _deleted_here(planner: Planner, plan: ModelPlan, key: Any, where: str) -> None:
    reason = f"the row it was synced to was deleted in {where} since the last sync"
    if planner.on_conflict == "update":
        plan.create.add(key)  # created again, with a new key
        planner.keys.changes[plan.model].pop(key, None)
        planner.conflicts.append(Conflict(plan.label, key, reason=reason))
        return
    planner._collide(plan, key, reason=reason, unresolved=planner.on_conflict == "skip")


def settle_taken(planner: Planner, plan: ModelPlan, taken: list[Conflict]) -> set[Any]:
    """What a sync makes of unique values the rows it creates would take; the keys it settled.

    * A value held by a row the sync overwrites for another row of the
      archive is taken from it in the same sync (the source moved the value):
      the updates are written before the rows created, and the database
      judges the result.
    * A value held by the copy of another row of the archive, which the sync
      leaves as it is, cannot go to this row too: that conflict cannot be
      settled by skipping or overwriting (two rows of the archive would be
      one here), and refuses the sync.
    * A value held by a row an earlier sync made for a row the source has
      since deleted: see :func:`adopt`.
    """
    settled = adopt(planner, plan, taken)
    overwritten = {target: key for key, target in plan.update.items()}
    kept = {target: key for key, target in plan.unchanged.items()}
    for conflict in taken:
        if conflict.pk in settled or conflict.pk not in plan.create:
            continue
        if overwritten.get(conflict.existing, conflict.pk) != conflict.pk:
            settled.add(conflict.pk)
        elif kept.get(conflict.existing, conflict.pk) != conflict.pk:
            other = kept[conflict.existing]
            planner._collide(
                plan,
                conflict.pk,
                reason=f"{conflict.field}={conflict.value!r} is held by the row {other!r} of "
                "the archive, which keeps it: the source gave one value to two rows",
                unresolved=True,
            )
            settled.add(conflict.pk)
    return settled


def adopt(planner: Planner, plan: ModelPlan, taken: list[Conflict]) -> set[Any]:
    """Rows re-created at the source: the new rows that take the rows an earlier sync made.

    A new row of the archive whose unique values a row here holds, where that
    row is one an earlier sync created for a row the archive no longer
    carries (the source deleted it and made it again, as a many-to-many link
    removed and added is), is that row: it is overwritten with the new
    row's values, or, where this database changed it since the last sync, a
    conflict (settled as any other). The ledger moves its entry to the new
    row, and a prune leaves it. Returns the archive keys so placed.
    """
    ledger = planner.ledger
    assert ledger is not None
    entries = ledger.entries.get(plan.model)
    if not taken or entries is None:
        return set()
    seen = plan.spool.seen
    forgotten = {target: key for key, target in entries.owned_targets().items() if key not in seen}
    claims: dict[Any, list[Any]] = {}
    for conflict in taken:
        if conflict.pk in plan.create and conflict.existing in forgotten:
            claims.setdefault(conflict.existing, []).append(conflict.pk)
    # One new row per old one: two claiming the same row stay conflicts.
    single = {target: keys[0] for target, keys in claims.items() if len(set(keys)) == 1}
    now = fingerprints(plan.model, list(single), planner.using)
    kept = entries.fingerprints([forgotten[target] for target in single])
    placed = set()
    for target, key in single.items():
        old = forgotten[target]
        plan.adopted[key] = old
        placed.add(key)
        if now.get(target) != kept.get(old):
            planner._collide(
                plan,
                key,
                target,
                reason=f"made again at the source, it takes over the row {target!r}, which "
                f"was changed in database '{planner.using}' since the last sync",
            )
            continue
        plan.create.discard(key)
        plan.pending.discard(key)
        planner.keys.pending.get(plan.model, set()).discard(key)
        planner.keys.changes[plan.model][key] = target
        if plan.model._meta.auto_created:
            plan.matched[key] = target  # the same link, nothing to write
        else:
            plan.update[key] = target
            plan.synced.add(key)  # checked again before it is written over
    return placed
