"""The keys a walk has found, by role, and where the keys an edge finds go.

Keys are found into :class:`~django_graft.tree.keysets.KeyBag` objects, one
per model and round; admitting them into the graph keeps those not seen
before, which the next round walks from. While a model's keys of a role are
few, all of this is Python set arithmetic; once they pass the walk's limit
it happens in the database (``INSERT … SELECT … WHERE NOT EXISTS``), and
the role's keys stay in a table.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from typing import Any

from django.db.models import Model

from django_graft.db.keytables import KeyTable
from django_graft.policy.rules import Rule
from django_graft.schema.edges import Edge, EdgeKind
from django_graft.tree.graph import Graph, Reason, Role
from django_graft.tree.keysets import KeyBag, Keys, TableSpace
from django_graft.tree.walktwins import known_targets

#: {model: keys found this round}
Found = dict[type[Model], KeyBag]
#: {model: keys to follow next round}
Frontier = dict[type[Model], Keys]
#: {model: keys} of one role in the graph
Held = dict[type[Model], AbstractSet[Any]]


class WalkKeys:
    """The graph's key sets while a walk fills them; ``limit`` as the walk's ``server_side``."""

    def __init__(self, graph: Graph, limit: int | None) -> None:
        self.graph = graph
        self.policy = graph.policy
        self.using = graph.using
        self.space = TableSpace(graph.using, limit)
        # {model: keys} forward targets found while owning, walked later.
        self.need_frontier: Found = {}
        # {model: keys} of the models the policy keeps as references.
        self.referenced: Found = {}
        # {model: {edge: keys}}: the edges that found the keys a round walks
        # from, while owning (see walktwins), and those found for the next.
        self.found_by: dict[type[Model], Counter[Edge]] = {}
        self._finding: defaultdict[type[Model], Counter[Edge]] = defaultdict(Counter)

    def roots(self, model: type[Model], keys: list[Any]) -> None:
        _in_python(self.graph.owned, model).update(keys)

    # -- where found keys go ----------------------------------------------

    def destination(
        self, edge: Edge, target: type[Model], role: Role, found: Found
    ) -> tuple[KeyBag, Reason]:
        """Where the keys ``edge`` finds go, and why the model is in the graph if it finds any."""
        reason = self.reason(edge, target, role)
        if reason.role is Role.REFERENCE:
            return self.bag(self.referenced, target), reason
        if reason.role is Role.OWN:
            return self.bag(found, target), reason
        bags = self.need_frontier if role is Role.OWN else found
        return self.bag(bags, target), reason

    def reason(self, edge: Edge, target: type[Model], role: Role) -> Reason:
        """The role of the keys ``edge`` finds from rows of ``role``, with the edge."""
        if self.policy.is_reference(target):
            return Reason(Role.REFERENCE, edge)
        owning = role is Role.OWN and (
            edge.kind in (EdgeKind.REVERSE, EdgeKind.GENERIC_REVERSE)
            or self.policy.rule(edge) is Rule.OWN
        )
        return Reason(Role.OWN if owning else Role.NEED, edge)

    def bag(self, bags: Found, model: type[Model]) -> KeyBag:
        bag = bags.get(model)
        if bag is None:
            bag = bags[model] = KeyBag(model, self.space)
        return bag

    def reach(
        self, edge: Edge, target: type[Model], keys: Iterable[Any], role: Role, found: Found
    ) -> None:
        """Record that ``edge`` led from rows of one role to ``keys`` of ``target``."""
        keys = keys if isinstance(keys, set | list) else list(keys)
        if not keys:
            return
        bag, reason = self.destination(edge, target, role, found)
        bag.add(keys)
        self.record(edge, target, len(keys), reason)

    def leads_back(self, edge: Edge, model: type[Model], role: Role) -> bool:
        """Whether ``edge`` leads from this round's keys of ``model`` only to keys owned already.

        If so, where it leads is recorded without reading it (see :mod:`.walktwins`).
        """
        known = known_targets(edge, self.found_by.get(model, Counter()))
        for target, count in known or ():
            self.record(edge, target, count, self.reason(edge, target, role))
        return known is not None

    def record(self, edge: Edge, target: type[Model], count: int, reason: Reason) -> None:
        """Count the keys ``edge`` found; the first to find any explains the model."""
        if not count:
            return
        step = (edge, target)
        self.graph.edge_rows[step] = self.graph.edge_rows.get(step, 0) + count
        if reason.role is Role.OWN:
            self._finding[target][edge] += count
        current = self.graph.reasons.get(target)
        if reason.role is Role.REFERENCE:
            self.graph.reasons.setdefault(target, reason)
        elif current is None or (current.role is not Role.OWN and reason.role is Role.OWN):
            # The first reason of the strongest role: owning beats needing.
            self.graph.reasons[target] = reason

    # -- admitting ---------------------------------------------------------

    def admit(self, found: Found, role: Role) -> Frontier:
        """Add newly found keys to their role; return those not seen before."""
        fresh: Frontier = {}
        for model, bag in found.items():
            new = self._admitted(model, bag, role)
            if new:
                fresh[model] = new
        self.found_by = dict(self._finding) if role is Role.OWN else {}
        self._finding = defaultdict(Counter)
        return fresh

    def _admitted(self, model: type[Model], bag: KeyBag, role: Role) -> Keys:
        held = self.graph.owned if role is Role.OWN else self.graph.needed
        others = [self.graph.owned.get(model)]
        if role is Role.NEED:
            others.append(self.graph.needed.get(model))
        if not bag.in_database() and not any(isinstance(k, KeyTable) for k in others):
            new = bag.keys.difference(*(keys for keys in others if keys))
            in_python = _in_python(held, model)
            if len(in_python) + len(new) <= (bag.limit or 0) or not bag.can_spill():
                in_python.update(new)
                return new
        # In the database: what was seen before is taken out of what was found,
        # and the rest joins the role's table, or becomes it.
        found = bag.emptied()
        for keys in [self.graph.owned] + ([self.graph.needed] if role is Role.NEED else []):
            if keys.get(model):
                found.remove_all(self._held_table(keys, model))
        kept = held.get(model)
        if kept:  # a table by now: the role's keys were just taken out of those found
            assert isinstance(kept, KeyTable)
            kept.add_all(found, disjoint=True)
        elif found:
            if isinstance(kept, KeyTable):
                kept.drop()  # emptied of keys that named no row
            held[model] = found  # the round's new keys are the role's first
        return found

    def _held_table(self, held: Held, model: type[Model]) -> KeyTable:
        keys = held.get(model, set())
        assert isinstance(keys, set | KeyTable)
        table = self.space.holding(keys, model)
        held[model] = table
        return table

    def keeps(self, table: KeyTable) -> bool:
        """Whether ``table`` is one of the graph's roles (a frontier may be one)."""
        roles = (self.graph.owned, self.graph.needed, self.graph.referenced)
        return any(keys is table for role in roles for keys in role.values())

    def discard(self, model: type[Model], key: Any) -> None:
        """Take a key out of every role and of the keys waiting to be needed."""
        for table in (self.graph.owned, self.graph.needed):
            held = table.get(model)
            if isinstance(held, set | KeyTable):
                held.discard(key)
        if model in self.need_frontier:
            self.need_frontier[model].discard(key)

    # -- the end -------------------------------------------------------------

    def finish(self) -> None:
        """Hand the graph its references and its tables; drop empty roles and the other tables."""
        for model, bag in self.referenced.items():
            self.graph.referenced[model] = bag.table if bag.table is not None else bag.keys
        for role in (self.graph.owned, self.graph.needed, self.graph.referenced):
            for model in [m for m, keys in role.items() if not keys]:
                del role[model]
        kept = {
            id(keys)
            for role in (self.graph.owned, self.graph.needed, self.graph.referenced)
            for keys in role.values()
        }
        for table in self.space.tables:
            if id(table) not in kept:
                table.drop()
        self.graph.tables = [t for t in self.space.tables if id(t) in kept]

    def drop_all(self) -> None:
        """After a failed walk: every table goes."""
        for table in self.space.tables:
            table.drop()


def _in_python(held: Held, model: type[Model]) -> set[Any]:
    """The model's keys of a role, in Python: the walk has not moved them into a table."""
    keys = held.setdefault(model, set())
    assert isinstance(keys, set)
    return keys
