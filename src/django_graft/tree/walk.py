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

Keys past the walk's ``server_side`` limit are kept in temporary tables
(:mod:`.walkkeys`) and walked from there with one ``INSERT … SELECT`` per
edge and round (:mod:`.walkjoins`), but links that only lead back (:mod:`.walktwins`).
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
from django_graft.db.fetch import fetch_keys, fetch_rows, keys_where
from django_graft.db.keyfilter import filter_in
from django_graft.db.keytables import KeyTable
from django_graft.exceptions import SpecError
from django_graft.policy.loading import default_policy
from django_graft.policy.rules import Policy, Rule
from django_graft.render import progress
from django_graft.schema.edges import Edge, EdgeKind, generic_columns
from django_graft.schema.labels import concrete, model_label
from django_graft.tree.dynamictargets import TargetNamer, dynamic_targets
from django_graft.tree.graph import Graph, Reason, Role
from django_graft.tree.roots import normalize_roots
from django_graft.tree.walkjoins import generic_joined, joined_keys
from django_graft.tree.walkkeys import Found, Frontier, WalkKeys
from django_graft.tree.walkmissing import MissingRows
from django_graft.tree.walkrows import Rows, link_values, row_names


class Collector:
    """Walk the graph of some roots under a policy; the result is ``graph``.

    With ``server_side`` (a number of keys), the graph may hold
    :class:`~django_graft.db.keytables.KeyTable` objects, which
    :meth:`Graph.close` drops. ``None`` keeps every key in Python.
    """

    def __init__(self, policy: Policy, using: str, server_side: int | None = None) -> None:
        self.policy = policy
        self.using = using
        self.connection = connections[using]
        self.graph = Graph(using=using, policy=policy)
        self.keys = WalkKeys(self.graph, server_side)
        self.missing = MissingRows(self.graph, self.keys)
        # {model: (names, {key: row})}: rows a reverse edge found this round,
        # read with the columns their own row query would have read next round.
        self._prefetched: dict[type[Model], tuple[tuple[str, ...], dict[Any, Any]]] = {}
        self._namer = TargetNamer(using)

    # -- entry point -----------------------------------------------------

    def collect(self, roots: Mapping[type[Model], Iterable[Any]]) -> Graph:
        try:
            self._walk(roots)
        except BaseException:
            self.keys.drop_all()
            raise
        self.keys.finish()
        return self.graph

    def _walk(self, roots: Mapping[type[Model], Iterable[Any]]) -> None:
        progress.stage("collecting")
        frontier: Frontier = {}
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
            self.missing.unverified[model].update(ordered)
            frontier[model] = {*frontier.get(model, ()), *ordered}
            self.keys.roots(model, ordered)

        while frontier:
            progress.advance(sum(map(len, frontier.values())))
            frontier = self._round(frontier, Role.OWN)
        self.missing.report_roots()

        frontier = self.keys.admit(self.keys.need_frontier, Role.NEED)
        self.keys.need_frontier = {}
        while frontier:
            progress.advance(sum(map(len, frontier.values())))
            frontier = self._round(frontier, Role.NEED)

    # -- one round ---------------------------------------------------------

    def _round(self, frontier: Frontier, role: Role) -> Frontier:
        found: Found = {}
        # Rows prefetched last round serve this one; older ones are dropped.
        prefetched, self._prefetched = self._prefetched, {}
        for model in sorted(frontier, key=model_label):
            followed = self._followed(model, role)
            keys = frontier[model]
            if isinstance(keys, KeyTable):
                self._expand_table(model, keys, followed, role, found)
                if not self.keys.keeps(keys):
                    keys.drop()
                continue
            size = key_batch_size(self.connection, len(getattr(model._meta.pk, "fields", ())) or 1)
            known = prefetched.get(model)
            for batch in chunked(sorted_keys(keys), size):
                self._expand(model, batch, followed, role, found, known)
        return self.keys.admit(found, role)

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
        found: Found,
        known: tuple[tuple[str, ...], dict[Any, Any]] | None,
    ) -> None:
        rows = self._row_query(model, batch, edges, known)
        keys = batch if rows is None else rows.column("pk")
        self._follow(edges, keys, rows, role, found)

    def _expand_table(
        self, model: type[Model], table: KeyTable, edges: list[Edge], role: Role, found: Found
    ) -> None:
        """Follow ``edges`` from keys in a table: by joins where one join does it."""
        for key in self.missing.absent_from(model, table):  # found by links without constraints
            table.discard(key)
            self.missing.missing(model, key)
        in_python = []
        for edge in edges:
            if self.keys.leads_back(edge, model, role):
                continue
            if edge.kind is EdgeKind.GENERIC_FORWARD:
                if not self._generic_joined(edge, table, role, found):
                    in_python.append(edge)
                continue
            reached = joined_keys(edge, table, self.using)
            if reached is not None and edge.target is not None:
                bag, reason = self.keys.destination(edge, edge.target, role, found)
                if bag.can_spill():  # else keys that cannot go into a table
                    self.keys.record(edge, edge.target, bag.add_query(reached), reason)
                    continue
            in_python.append(edge)
        if not in_python:
            return
        names = row_names(in_python)
        for part in table.slices(key_batch_size(self.connection)):
            rows = Rows.read(names, table.rows(part).order_by("pk"))
            if keys := rows.column("pk"):
                self._follow(in_python, keys, rows, role, found)

    def _generic_joined(self, edge: Edge, table: KeyTable, role: Role, found: Found) -> bool:
        """Follow a generic foreign key from a table by joins; False: it needs Python."""
        joined = generic_joined(edge, table, self.using)
        if joined is None:
            return False
        for ct_id, target, ids in joined:
            if target is None:
                self._uninstalled(edge, ct_id)
                continue
            bag, reason = self.keys.destination(edge, target, role, found)
            self.missing.unverify_query(target, ids)
            self.keys.record(edge, target, bag.add_query(ids), reason)
        return True

    def _follow(
        self, edges: list[Edge], keys: list[Any], rows: Rows | None, role: Role, found: Found
    ) -> None:
        for edge in edges:
            if edge.kind is EdgeKind.REVERSE:
                self._reverse(edge, keys, rows, found)
            elif edge.kind is EdgeKind.GENERIC_REVERSE:
                self._generic_reverse(edge, keys, found)
            else:  # the forward kinds, which follow columns of the rows
                assert rows is not None
                forward = {
                    EdgeKind.FORWARD: self._forward,
                    EdgeKind.GENERIC_FORWARD: self._generic_forward,
                    EdgeKind.DYNAMIC: self._dynamic,
                }[edge.kind]
                forward(edge, rows, role, found)

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
        unverified = self.missing.unverified.get(model, set())
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
                        self.missing.missing(model, key)
        return table

    # -- edge kinds ------------------------------------------------------

    def _forward(self, edge: Edge, rows: Rows, role: Role, found: Found) -> None:
        values = set(link_values(rows, edge.link_fields))
        if not values:
            return
        assert edge.target is not None
        if not edge.via_pk:
            values = keys_where(edge.target, edge.key_fields, values, self.using)
        self.keys.reach(edge, edge.target, values, role, found)

    def _generic_forward(self, edge: Edge, rows: Rows, role: Role, found: Found) -> None:
        by_type: dict[int, set[Any]] = defaultdict(set)
        for ct_id, object_id in zip(*map(rows.column, generic_columns(edge)), strict=True):
            if ct_id is not None and object_id is not None:
                by_type[ct_id].add(object_id)
        manager = ContentType.objects.db_manager(self.using)
        for ct_id in sorted(by_type):
            target = manager.get_for_id(ct_id).model_class()
            if target is None:
                self._uninstalled(edge, ct_id)
                continue
            target = concrete(target)
            to_python = target._meta.pk.to_python
            keys = {to_python(value) for value in by_type[ct_id]}
            self.missing.unverify(target, keys)
            self.keys.reach(edge, target, keys, role, found)

    def _uninstalled(self, edge: Edge, ct_id: int) -> None:
        """Warn once per edge and content type, however many batches of rows name it."""
        warning = (
            f"{edge.label} points at content type {ct_id}, whose model is not "
            "installed; those links are left out."
        )
        if warning not in self.graph.warnings:
            self.graph.warnings.append(warning)

    def _dynamic(self, edge: Edge, rows: Rows, role: Role, found: Found) -> None:
        targets = dynamic_targets(edge, rows, self._namer, self.graph.warnings.append)
        for target, keys in sorted(targets.items(), key=lambda item: model_label(item[0])):
            self.missing.unverify(target, keys)
            self.keys.reach(edge, target, keys, role, found)

    def _reverse(self, edge: Edge, keys: list[Any], rows: Rows | None, found: Found) -> None:
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
            self.keys.reach(edge, edge.target, targets, Role.OWN, found)
        else:
            manager = edge.target._base_manager.using(self.using)
            self._discover(edge, filter_in(manager, link, values), found)

    def _generic_reverse(self, edge: Edge, keys: list[Any], found: Found) -> None:
        relation = edge.generic
        assert edge.target is not None
        content_type = ContentType.objects.db_manager(self.using).get_for_model(
            edge.source, for_concrete_model=relation.for_concrete_model
        )
        manager = edge.target._base_manager.using(self.using)
        object_id = edge.target._meta.get_field(relation.object_id_field_name)
        queryset = filter_in(
            manager.filter(**{relation.content_type_field_name: content_type.pk}),
            object_id,
            keys,
        )
        self._discover(edge, queryset, found)

    def _discover(self, edge: Edge, queryset: QuerySet[Any, Any], found: Found) -> None:
        """Own the rows ``queryset`` finds through ``edge``.

        The columns the rows' own row query will need next round are read
        in the same query and kept, so that query is not sent; keys bound
        for a table go there by ``INSERT … SELECT``, also once those read
        pass the limit.
        """
        target = edge.target
        assert target is not None
        bag, reason = self.keys.destination(edge, target, Role.OWN, found)
        if bag.in_database():
            self.keys.record(edge, target, bag.add_query(queryset.values_list("pk")), reason)
            return
        if self.policy.is_reference(target):
            self.keys.reach(edge, target, fetch_keys(queryset), Role.OWN, found)
            return
        names = row_names(self._followed(target, Role.OWN))
        rows = queryset.order_by().values_list(*names)
        room = bag.room()
        if room is not None:  # a driver holds a whole result: no more rows than the limit
            rows = rows[: room + 1]
        read = 0
        chunks = fetch_rows(rows, _DISCOVER_CHUNK)
        for chunk in chunks:
            read += len(chunk)
            keys = list(map(itemgetter(0), chunk))
            if len(names) > 1:
                kept = self._prefetched.setdefault(target, (names, {}))[1]
                kept.update(zip(keys, chunk, strict=True))
            self.keys.reach(edge, target, keys, Role.OWN, found)
            if bag.in_database():
                break
        else:
            if room is None or read <= room:
                return
        chunks.close()  # past the limit: the rest go by INSERT ... SELECT, the rows unused
        self._prefetched.pop(target, None)
        self.keys.record(edge, target, bag.add_query(queryset.values_list("pk")), reason)


#: Rows per fetch while reading the rows a reverse edge finds.
_DISCOVER_CHUNK = 10_000


def collect(
    roots: Any,
    *,
    policy: Policy | None = None,
    using: str | None = None,
    server_side_keys: int | None = None,
) -> Graph:
    """Walk the object graph of ``roots`` and return its key sets.

    ``roots`` is a model instance, a queryset, a mapping ``{Model: [pk, ...]}``,
    a specification ``"app.Model:PK[,PK...]"``, or an iterable of instances
    and specifications.

    With ``server_side_keys``, a model's keys of one role move into a
    temporary table of the connection once there are more than that many:
    call the graph's ``close()`` when done with it (the tables go with the
    connection otherwise). ``None``: every key stays in Python.
    """
    by_model, db = normalize_roots(roots, using)
    if not any(by_model.values()):
        raise SpecError("Nothing to collect: give at least one root object.")
    return Collector(policy or default_policy(), db, server_side_keys).collect(by_model)
