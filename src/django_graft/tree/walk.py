"""Breadth-first, batched graph walk: one query per edge per batch of keys.

The walk runs in two phases. The first follows the edges the policy marks
``own`` from the roots until nothing new turns up; the second follows
forward edges from every owned row, then from every needed row, and never
walks a reverse edge. Keeping the phases apart is what stops a shared row
(a tag, a user) from pulling in the rest of the database.

Each round takes, per model, the keys discovered in the previous round and
sends, per batch of keys:

* one *row query* reading the columns the forward edges need (foreign key
  values, generic foreign key pairs, ``to_field`` values), sent only when
  some edge needs a column or the keys must be shown to exist;
* one query per reverse edge (and per ``GenericRelation``) being followed.

The number of queries depends on the shape of the schema and the depth of
the tree, never on the number of rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from operator import itemgetter
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connections
from django.db.models import Model, QuerySet

from django_graft.db.batching import chunked, key_batch_size, sorted_keys
from django_graft.db.fetch import fetch_keys, keys_where
from django_graft.db.keyfilter import filter_in
from django_graft.exceptions import ObjectNotFound, SpecError
from django_graft.policy.loading import default_policy
from django_graft.policy.rules import Policy, Rule
from django_graft.render import progress
from django_graft.schema.edges import Edge, EdgeKind, generic_columns
from django_graft.schema.labels import concrete, model_label
from django_graft.tree.dynamictargets import TargetNamer, dynamic_targets
from django_graft.tree.graph import Graph, Reason, Role
from django_graft.tree.roots import normalize_roots
from django_graft.tree.walkrows import Rows, link_values, row_names

#: {model: {key, ...}}
KeySets = dict[type[Model], set[Any]]


def _pk_columns(model: type[Model]) -> int:
    return len(getattr(model._meta.pk, "fields", ())) or 1


class Collector:
    """Walk the graph of some roots under a policy; the result is ``graph``."""

    def __init__(self, policy: Policy, using: str) -> None:
        self.policy = policy
        self.using = using
        self.connection = connections[using]
        self.graph = Graph(using=using, policy=policy)
        # {model: {key, ...}} reached by an edge that does not prove the row
        # exists (generic foreign keys); checked by the next row query.
        self._unverified: KeySets = defaultdict(set)
        # {model: {key, ...}} forward targets found while owning, walked later.
        self._need_frontier: KeySets = defaultdict(set)
        # {model: [key, ...]} roots the row query did not find.
        self._missing_roots: dict[type[Model], list[Any]] = {}
        # {model: (names, {key: row})}: rows a reverse edge found this round,
        # read with the columns their own row query would have read next round.
        self._prefetched: dict[type[Model], tuple[tuple[str, ...], dict[Any, Any]]] = {}
        self._namer = TargetNamer(using)

    # -- entry point -----------------------------------------------------

    def collect(self, roots: Mapping[type[Model], Iterable[Any]]) -> Graph:
        progress.stage("collecting")
        frontier: KeySets = defaultdict(set)
        for model, keys in roots.items():
            model = concrete(model)
            if self.policy.is_reference(model):
                raise SpecError(
                    f"{model_label(model)} is a reference in this policy, so its rows are "
                    "never copied and cannot be roots. Remove it from the references "
                    "or choose another root.",
                    spec=model_label(model),
                )
            ordered = list(dict.fromkeys(keys))
            self.graph.roots.setdefault(model, []).extend(ordered)
            self.graph.reasons.setdefault(model, Reason(Role.OWN, None))
            self._unverified[model].update(ordered)
            frontier[model].update(ordered)
            self.graph.owned.setdefault(model, set()).update(ordered)

        while frontier:
            progress.advance(sum(map(len, frontier.values())))
            frontier = self._round(frontier, Role.OWN)
        self._report_missing_roots()

        frontier = defaultdict(set)
        for model, keys in self._need_frontier.items():
            fresh = keys - self.graph.owned.get(model, set())
            if fresh:
                frontier[model] = fresh
                self.graph.needed.setdefault(model, set()).update(fresh)
        while frontier:
            progress.advance(sum(map(len, frontier.values())))
            frontier = self._round(frontier, Role.NEED)
        self._drop_empty()
        return self.graph

    # -- one round ---------------------------------------------------------

    def _round(self, frontier: KeySets, role: Role) -> KeySets:
        found: KeySets = defaultdict(set)
        # Rows prefetched last round serve this one; older ones are dropped.
        prefetched, self._prefetched = self._prefetched, {}
        for model in sorted(frontier, key=model_label):
            followed = self._followed(model, role)
            size = key_batch_size(self.connection, _pk_columns(model))
            known = prefetched.get(model)
            for batch in chunked(sorted_keys(frontier[model]), size):
                self._expand(model, batch, followed, role, found, known)
        return self._admit(found, role)

    def _followed(self, model: type[Model], role: Role) -> list[Edge]:
        return [e for e in self.policy.edges_of(model) if self._follows(e, role)]

    def _follows(self, edge: Edge, role: Role) -> bool:
        rule = self.policy.rule(edge)
        if rule is Rule.SKIP:
            return False
        if role is Role.NEED:
            return edge.is_forward
        return edge.is_forward or rule is Rule.OWN

    def _expand(
        self,
        model: type[Model],
        batch: list[Any],
        edges: list[Edge],
        role: Role,
        found: KeySets,
        known: tuple[tuple[str, ...], dict[Any, Any]] | None,
    ) -> None:
        rows = self._row_query(model, batch, edges, known)
        keys = batch if rows is None else rows.column("pk")
        for edge in edges:
            if edge.kind is EdgeKind.FORWARD:
                assert rows is not None
                self._forward(edge, rows, role, found)
            elif edge.kind is EdgeKind.GENERIC_FORWARD:
                assert rows is not None
                self._generic_forward(edge, rows, role, found)
            elif edge.kind is EdgeKind.DYNAMIC:
                assert rows is not None
                self._dynamic(edge, rows, role, found)
            elif edge.kind is EdgeKind.REVERSE:
                self._reverse(edge, keys, rows, found)
            else:
                self._generic_reverse(edge, keys, found)

    def _row_query(
        self,
        model: type[Model],
        batch: list[Any],
        edges: list[Edge],
        known: tuple[tuple[str, ...], dict[Any, Any]] | None,
    ) -> Rows | None:
        """Read the columns the edges need; ``None`` when no query is needed.

        Rows a reverse edge already read (``known``) are taken from there.
        """
        names = row_names(edges)
        unverified = self._unverified.get(model, set())
        must_verify = bool(unverified) and any(k in unverified for k in batch)
        if len(names) == 1 and not must_verify:
            return None
        rows: list[tuple[Any, ...]] = []
        missing = batch
        if known is not None and known[0] == names:
            prefetched = known[1]
            rows = [prefetched[k] for k in batch if k in prefetched]
            missing = [k for k in batch if k not in prefetched] if len(rows) < len(batch) else []
        if missing:
            queryset = filter_in(model._base_manager.using(self.using), model._meta.pk, missing)
            rows.extend(Rows.read(names, queryset)._rows)
        table = Rows(names, rows)
        if unverified:
            present = set(table.column("pk"))
            for key in batch:
                if key in unverified:
                    unverified.discard(key)
                    if key not in present:
                        self._missing(model, key)
        return table

    # -- edge kinds ------------------------------------------------------

    def _forward(self, edge: Edge, rows: Rows, role: Role, found: KeySets) -> None:
        values = set(link_values(rows, edge.link_fields))
        if not values:
            return
        assert edge.target is not None
        if not edge.via_pk:
            values = keys_where(edge.target, edge.key_fields, values, self.using)
        self._reach(edge, edge.target, values, role, found)

    def _generic_forward(self, edge: Edge, rows: Rows, role: Role, found: KeySets) -> None:
        by_type: dict[int, set[Any]] = defaultdict(set)
        for ct_id, object_id in zip(*map(rows.column, generic_columns(edge)), strict=True):
            if ct_id is not None and object_id is not None:
                by_type[ct_id].add(object_id)
        manager = ContentType.objects.db_manager(self.using)
        for ct_id in sorted(by_type):
            target = manager.get_for_id(ct_id).model_class()
            if target is None:
                self.graph.warnings.append(
                    f"{edge.label} points at content type {ct_id}, whose model is not "
                    "installed; those links are left out."
                )
                continue
            target = concrete(target)
            to_python = target._meta.pk.to_python
            keys = {to_python(value) for value in by_type[ct_id]}
            self._unverify(target, keys)
            self._reach(edge, target, keys, role, found)

    def _unverify(self, target: type[Model], keys: set[Any]) -> None:
        """Have the next row query show that keys an edge without a constraint found exist."""
        if not self.policy.is_reference(target):
            fresh = keys - self.graph.owned.get(target, set())
            fresh -= self.graph.needed.get(target, set())
            self._unverified[target].update(fresh)

    def _dynamic(self, edge: Edge, rows: Rows, role: Role, found: KeySets) -> None:
        targets = dynamic_targets(edge, rows, self._namer, self.graph.warnings.append)
        for target, keys in sorted(targets.items(), key=lambda item: model_label(item[0])):
            self._unverify(target, keys)
            self._reach(edge, target, keys, role, found)

    def _reverse(
        self,
        edge: Edge,
        keys: list[Any],
        rows: Rows | None,
        found: KeySets,
    ) -> None:
        if edge.via_pk:
            values: list[Any] = keys
        else:
            assert rows is not None
            values = link_values(rows, edge.key_fields)
        if not values:
            return
        assert edge.target is not None
        (link, *more) = edge.link_fields
        if more:  # a link by several columns
            targets = keys_where(edge.target, edge.link_fields, values, self.using)
        else:
            manager = edge.target._base_manager.using(self.using)
            targets = self._discover(edge.target, filter_in(manager, link, values))
        self._reach(edge, edge.target, targets, Role.OWN, found)

    def _generic_reverse(self, edge: Edge, keys: list[Any], found: KeySets) -> None:
        relation = edge.generic
        assert edge.target is not None
        content_type = ContentType.objects.db_manager(self.using).get_for_model(
            edge.source, for_concrete_model=relation.for_concrete_model
        )
        manager = edge.target._base_manager.using(self.using)
        object_id = edge.target._meta.get_field(relation.object_id_field_name)
        targets = self._discover(
            edge.target,
            filter_in(
                manager.filter(**{relation.content_type_field_name: content_type.pk}),
                object_id,
                keys,
            ),
        )
        self._reach(edge, edge.target, targets, Role.OWN, found)

    def _discover(self, target: type[Model], queryset: QuerySet[Any, Any]) -> set[Any]:
        """Return the keys of the owned rows ``queryset`` finds.

        The columns the rows' own row query will need next round are read
        in the same query and kept, so that query is not sent.
        """
        if self.policy.is_reference(target):
            return fetch_keys(queryset)
        names = row_names(self._followed(target, Role.OWN))
        if len(names) == 1:
            return fetch_keys(queryset)
        rows = Rows.read(names, queryset)._rows
        keys = list(map(itemgetter(0), rows))
        self._prefetched.setdefault(target, (names, {}))[1].update(zip(keys, rows, strict=True))
        return set(keys)

    # -- bookkeeping -------------------------------------------------------

    def _reach(
        self,
        edge: Edge,
        target: type[Model],
        keys: set[Any],
        role: Role,
        found: KeySets,
    ) -> None:
        """Record that ``edge`` led from rows of one role to ``keys`` of ``target``."""
        if not keys:
            return
        step = (edge, target)
        self.graph.edge_rows[step] = self.graph.edge_rows.get(step, 0) + len(keys)
        if self.policy.is_reference(target):
            self.graph.referenced.setdefault(target, set()).update(keys)
            self.graph.reasons.setdefault(target, Reason(Role.REFERENCE, edge))
            return
        owning = role is Role.OWN and (
            edge.kind in (EdgeKind.REVERSE, EdgeKind.GENERIC_REVERSE)
            or self.policy.rule(edge) is Rule.OWN
        )
        if owning:
            found[target].update(keys)
            self._explain(target, Reason(Role.OWN, edge))
        elif role is Role.OWN:
            self._need_frontier[target].update(keys)
            self._explain(target, Reason(Role.NEED, edge))
        else:
            found[target].update(keys)
            self._explain(target, Reason(Role.NEED, edge))

    def _explain(self, model: type[Model], reason: Reason) -> None:
        """Keep the first reason of the strongest role: owning beats needing."""
        current = self.graph.reasons.get(model)
        if current is None or (current.role is not Role.OWN and reason.role is Role.OWN):
            self.graph.reasons[model] = reason

    def _admit(self, found: KeySets, role: Role) -> KeySets:
        """Add newly found keys to their role; return those not seen before."""
        fresh: KeySets = {}
        for model, keys in found.items():
            new = keys - self.graph.owned.get(model, set())
            if role is Role.NEED:
                new -= self.graph.needed.get(model, set())
                if new:
                    self.graph.needed.setdefault(model, set()).update(new)
            elif new:
                self.graph.owned.setdefault(model, set()).update(new)
            if new:
                fresh[model] = new
        return fresh

    def _missing(self, model: type[Model], key: Any) -> None:
        if key in self.graph.roots.get(model, ()):
            self._missing_roots.setdefault(model, []).append(key)
            return
        # A generic foreign key, or a dynamic edge, pointing at a row that is not there.
        for table in (self.graph.owned, self.graph.needed):
            table.get(model, set()).discard(key)
        self._need_frontier.get(model, set()).discard(key)
        self.graph.warnings.append(
            f"A link without a foreign key constraint (a generic foreign key or a dynamic "
            f"edge) points at {model_label(model)} {key!r}, which does not exist; the link "
            "is exported as it is."
        )

    def _report_missing_roots(self) -> None:
        for model, keys in self._missing_roots.items():
            label = model_label(model)
            shown = ", ".join(str(k) for k in keys)
            raise ObjectNotFound(
                f"No {label} with primary key {shown} exists in database "
                f"'{self.using}'. Check the key, or pass --database for another database.",
                model=label,
                pks=keys,
            )

    def _drop_empty(self) -> None:
        for table in (self.graph.owned, self.graph.needed, self.graph.referenced):
            for model in [m for m, keys in table.items() if not keys]:
                del table[model]


def collect(roots: Any, *, policy: Policy | None = None, using: str | None = None) -> Graph:
    """Walk the object graph of ``roots`` and return its key sets.

    ``roots`` is a model instance, a queryset, a mapping ``{Model: [pk, ...]}``,
    a specification ``"app.Model:PK[,PK...]"``, or an iterable of instances
    and specifications.
    """
    by_model, db = normalize_roots(roots, using)
    if not any(by_model.values()):
        raise SpecError("Nothing to collect: give at least one root object.")
    return Collector(policy or default_policy(), db).collect(by_model)
