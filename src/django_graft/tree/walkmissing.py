"""Rows a walk was sent to that may not exist: roots, and targets of links without a constraint.

A foreign key's constraint proves its target row exists; a root given by
key, a generic foreign key or a dynamic edge proves nothing. Such keys are
*unverified* until the next row query of their model shows the rows: a
missing root fails the walk, a missing link target is left out with a
warning.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Model, QuerySet

from django_graft.db.batching import sorted_keys
from django_graft.db.keytables import KeyTable
from django_graft.exceptions import ObjectNotFound
from django_graft.schema.labels import model_label
from django_graft.tree.graph import Graph
from django_graft.tree.keysets import without
from django_graft.tree.walkkeys import WalkKeys


class MissingRows:
    """The keys a walk has yet to see rows for, and what it does about those it does not."""

    def __init__(self, graph: Graph, keys: WalkKeys) -> None:
        self.graph = graph
        self.keys = keys
        #: {model: {key, ...}} reached by a link that does not prove the row exists.
        self.unverified: defaultdict[type[Model], set[Any]] = defaultdict(set)
        #: {model: keys} reached so by joins, in a table.
        self.tables: dict[type[Model], KeyTable] = {}
        # {model: [key, ...]} roots the row query did not find.
        self._roots: dict[type[Model], list[Any]] = {}

    def unverify(self, target: type[Model], keys: set[Any]) -> None:
        """Have the next row query show that keys a link without a constraint found exist."""
        if not self.graph.policy.is_reference(target):
            fresh = without(keys, self.graph.owned.get(target, set()))
            self.unverified[target].update(without(fresh, self.graph.needed.get(target, set())))

    def unverify_query(self, target: type[Model], queryset: QuerySet[Any, Any]) -> None:
        """:meth:`unverify` the keys a one-column queryset selects, each once, in a table."""
        if not self.graph.policy.is_reference(target):
            table = self.tables.get(target)
            if table is None:
                table = self.tables[target] = self.keys.space.new(target)
            table.add_query(queryset, distinct=True)

    def absent_from(self, model: type[Model], table: KeyTable) -> list[Any]:
        """The unverified keys of ``table`` that name no row, in the order Python sorts them."""
        unverified = self.unverified.get(model)
        among = self.tables.get(model)
        absent: set[Any] = set()
        if unverified:
            absent.update(key for key in table.absent() if key in unverified)
            unverified.difference_update(absent)
        if among is not None:
            absent.update(table.absent(among))
            among.remove_all(table)  # checked, as a row query checks its keys once
        return sorted_keys(absent)

    def missing(self, model: type[Model], key: Any) -> None:
        """A key whose row is not there: a root fails the walk, a link's target is left out."""
        if key in self.graph.roots.get(model, ()):
            self._roots.setdefault(model, []).append(key)
            return
        self.keys.discard(model, key)
        self.graph.warnings.append(
            f"A link without a foreign key constraint (a generic foreign key or a dynamic "
            f"edge) points at {model_label(model)} {key!r}, which does not exist; the link "
            "is exported as it is."
        )

    def report_roots(self) -> None:
        """Fail on the first model with roots that were not found."""
        for model, keys in self._roots.items():
            label = model_label(model)
            shown = ", ".join(str(k) for k in keys)
            raise ObjectNotFound(
                f"No {label} with primary key {shown} exists in database "
                f"'{self.graph.using}'. Check the key, or pass --database for another database.",
                model=label,
                pks=keys,
            )
