"""Plan the owned rows of a sync: the rows an earlier sync of the tree created, and new ones.

An owned row the ledger names is the row it was written as: its links are
followed there, and it is

* *unchanged* when the stored row holds the archive's values;
* *updated* when it differs and this database has not changed it since the
  last sync (its fingerprint is the one the ledger kept): the source changed it;
* a conflict when this database changed it since, or deleted it: ``skip``
  keeps this database's version, ``update`` writes the archive's (a deleted
  row is created again; it cannot be skipped, since rows of the archive may
  link to it).

Every other owned row is created, with a new key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django_graft.importer.compare import differing_fields
from django_graft.importer.ledger import Ledger, fingerprints
from django_graft.importer.result import Conflict

if TYPE_CHECKING:
    from django_graft.importer.plan import ModelPlan, Planner


def plan_synced(planner: Planner, plan: ModelPlan, ledger: Ledger) -> None:
    known = {key: entry for key in plan.spool.owned if (entry := ledger.entry(plan.model, key))}
    plan.create.update(key for key in plan.spool.owned if key not in known)
    if not known:
        return
    at = {key: entry.target for key, entry in known.items()}
    planner.keys.changes[plan.model].update(at)  # links to these rows land on them
    present = planner._existing(plan.model, list(at.values()))
    alive = [key for key, target in at.items() if target in present]
    differing = differing_fields(plan, alive, planner.keys, planner.using, planner.policy, at=at)
    changed = [at[key] for key in alive if differing.get(key) != []]
    now = fingerprints(plan.model, changed, planner.using)
    where = f"database '{planner.using}'"
    for key, target in at.items():
        if target not in present:
            _deleted_here(planner, plan, key, where)
        elif differing.get(key) == []:
            plan.unchanged[key] = target
        elif now.get(target) == known[key].fingerprint:
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


def _deleted_here(planner: Planner, plan: ModelPlan, key: Any, where: str) -> None:
    reason = f"the row it was synced to was deleted in {where} since the last sync"
    if planner.on_conflict == "update":
        plan.create.add(key)  # created again, with a new key
        planner.keys.changes[plan.model].pop(key, None)
        planner.conflicts.append(Conflict(plan.label, key, reason=reason))
        return
    planner._collide(plan, key, reason=reason, unresolved=planner.on_conflict == "skip")
