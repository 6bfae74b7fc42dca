"""Give new rows their keys before rows written earlier link to them.

An import writes model after model, in dependency order. Where the database
makes the keys, a row linking to a row not written yet (a cycle, a self
reference, a dynamic edge to a child) cannot hold the link at first: it is
written without it and updated once every row is in, which writes such rows
twice. Before a model's rows are written, the models they may link to whose
new rows are still to come get their keys drawn ahead where that can be
done (:mod:`django_graft.db.keydraw`, or the key field's own default): the
links are then written with the rows, and the target rows are written with
those keys.

The keys drawn are the ones the rows would have got, in the archive's
order: the result is the same import, with fewer statements.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import chain, compress
from typing import TYPE_CHECKING, Any

from django.db.models import Model

from django_graft.db.keydraw import KeyDrawer
from django_graft.importer.keybits import KeySet, members
from django_graft.importer.keypairs import mapped
from django_graft.importer.links import DEFAULT, PARENT, RETURNING, KeyMaps, keys_renamed, links_of
from django_graft.importer.neededstate import key_link, key_links
from django_graft.policy.rules import Policy
from django_graft.schema.labels import concrete

#: Keys of the archive's order asked about at once.
_CHUNK = 10_000

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper

    from django_graft.importer.planned import ModelPlan, Plan


class KeysAhead:
    """Draws the keys of the rows a model's rows may link to, before that model is written."""

    def __init__(
        self, plan: Plan, keys: KeyMaps, policy: Policy, connection: BaseDatabaseWrapper
    ) -> None:
        self.plans = {mp.model: mp for mp in plan.order}
        self.keys = keys
        self.policy = policy
        self.drawer = KeyDrawer(connection)
        #: Models whose keys were drawn, or could not be.
        self._tried: set[type[Model]] = set()

    def before(self, mp: ModelPlan, written: set[type[Model]]) -> None:
        """Draw the keys of the rows ``mp``'s rows may link to that are still to be written."""
        targets = self._targets(mp.model)
        for target, later in self.plans.items():
            linked = targets is None or target in targets
            if linked and target not in written and target not in self._tried:
                self._tried.add(target)
                self._draw(later)

    def _targets(self, model: type[Model]) -> set[type[Model]] | None:
        """The models ``model``'s rows link to by key; None: any (a generic or row-typed link)."""
        dynamic = self.policy.dynamic_edges(model)
        if links_of(model)[1] or any(edge.target is None for edge in dynamic):
            return None
        found = {link.target for link in key_links(model)}
        found.update(concrete(edge.target) for edge in dynamic if edge.target is not None)
        return found

    def _draw(self, mp: ModelPlan) -> None:
        pending = self.keys.pending.get(mp.model)
        if pending and mp.new_keys == PARENT:
            self._follow_parent(mp.model, pending)
        if not pending or mp.new_keys not in (RETURNING, DEFAULT):
            return
        create = mp.create
        if not pending.issubset(create):
            return  # a row the model's own writes do not create: left for later
        # Every row created is one of the archive's: as many keys as rows.
        drawn: Iterable[Any] | None
        if mp.new_keys == DEFAULT:
            if keys_renamed(self.policy, mp.model):
                return  # the keys are the ones the policy gives, known once written
            pk: Any = mp.model._meta.pk
            drawn = (pk.get_default() for _ in range(len(create)))
        else:
            runs = self.drawer.draw(mp.model, len(create))
            drawn = None if runs is None else chain.from_iterable(runs)
        if drawn is None:
            return
        changes = self.keys.changes[mp.model]
        # In the order the rows are written, a chunk of the archive's keys at a
        # time: no list of every key, nor of every key drawn.
        changes.update(zip(_created_in_order(mp), drawn, strict=True))
        mp.reserved = changes  # one map of a million pairs, not two
        pending.clear()

    def _follow_parent(self, model: type[Model], pending: KeySet) -> None:
        """A row keyed by its parent row (multi-table inheritance) takes the parent's key."""
        parent = key_link(model)
        if parent is None:
            return
        above = self.plans.get(parent.target)
        if above is not None and parent.target not in self._tried:
            self._tried.add(parent.target)
            self._draw(above)
        if self.keys.pending.get(parent.target):
            return  # the parent rows' keys are known once they are written
        moved = self.keys.changes.get(parent.target)
        pending_keys = list(pending)
        self.keys.changes[model].update(zip(pending_keys, mapped(moved, pending_keys), strict=True))
        pending.clear()


def _created_in_order(mp: ModelPlan) -> Iterator[Any]:
    """The keys of the rows ``mp`` creates, in the order they are written (the archive's)."""
    create = mp.create
    for chunk in mp.spool.order.chunks():
        for start in range(0, len(chunk), _CHUNK):
            part = chunk[start : start + _CHUNK]
            yield from compress(part, members(create, part))
