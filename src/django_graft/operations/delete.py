"""Delete: remove the owned rows of some roots, as ``Model.delete()`` would.

The roots are collected (the same walk as every other operation) and the
rows outside the tree that point into it are read (:mod:`.outside`): any
row that forbids the delete is listed and nothing is deleted. Otherwise, in
one transaction: the archive, when one is asked for, is written, read back
and verified; ``pre_delete`` is sent for the rows of models that have
receivers; the outside rows are updated as their ``on_delete`` says; the
owned rows are deleted model by model, children first, in batches of keys;
``post_delete`` follows each model's delete. Nothing is loaded as a model
instance except for the models whose signals have receivers, as in Django.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

from django.db import DatabaseError, IntegrityError, connections, transaction
from django.db.models import Model, signals

from django_graft.conf import graft_settings
from django_graft.db.batching import chunked, key_batch_size, sorted_keys
from django_graft.db.constraints import checked_at_end, checks_each_row
from django_graft.db.deletion import receiver_that_raised
from django_graft.db.driver import run_statement
from django_graft.db.gcpause import cyclic_gc_paused
from django_graft.db.keyfilter import filter_in, integer_where
from django_graft.db.keyslices import ordered_alike
from django_graft.db.keytables import KeyTable
from django_graft.db.queryset import raw_delete
from django_graft.exceptions import DeleteBlocked, DeleteRefused, GraftError, check_row_limit
from django_graft.operations.deletearchive import write_verified
from django_graft.operations.export import ExportResult
from django_graft.policy.loading import default_policy
from django_graft.policy.rules import Policy
from django_graft.render import progress
from django_graft.render.lists import SHOWN, listed
from django_graft.render.text import roots_text
from django_graft.schema.edges import EdgeKind, edges_of
from django_graft.schema.labels import model_label
from django_graft.storage import Destination
from django_graft.tree.graph import Graph
from django_graft.tree.keysets import keyed
from django_graft.tree.ordering import dependency_order
from django_graft.tree.outside import Blocker, Outside, OutsideUpdate, action_name, scan_outside
from django_graft.tree.roots import normalize_roots
from django_graft.tree.walk import collect

_SIGNALS = (signals.pre_delete, signals.post_delete)


@dataclass
class DeleteResult:
    """What a delete removed and changed (on a dry run: what it would)."""

    using: str
    dry_run: bool
    graph: Graph
    deleted: dict[str, int]
    """{model label: rows deleted, or to delete on a dry run}."""
    blockers: list[Blocker] = field(default_factory=list)
    """Rows that forbid the delete (only ever filled on a dry run: a real delete raises
    ``DeleteBlocked`` instead).
    """
    updates: list[OutsideUpdate] = field(default_factory=list)
    """Rows outside the tree whose foreign key the delete sets."""
    archive: ExportResult | None = None
    """The archive written before the delete, when one was asked for."""

    @property
    def total(self) -> int:
        return sum(self.deleted.values())

    def __repr__(self) -> str:
        verb = "would delete" if self.dry_run else "deleted"
        blocked = f", {len(self.blockers)} blockers" if self.blockers else ""
        return f"<DeleteResult {verb} {self.total} rows from '{self.using}'{blocked}>"

    def lines(self, every: bool = False) -> Iterator[str]:
        """The report as text: rows per model, outside rows changed, blockers.

        Blockers: the first ones, or ``every`` one of them.
        """
        width = max((len(label) for label in self.deleted), default=5)
        verb = "would delete" if self.dry_run else "deleted"
        yield f"{'model':<{width}}  {verb}"
        for label, count in sorted(self.deleted.items()):
            yield f"{label:<{width}}  {count:>{len(verb)}}"
        yield f"{'total':<{width}}  {self.total:>{len(verb)}}"
        if self.updates:
            yield "Rows outside the tree that are updated:"
            for update in self.updates:
                who = "by the database" if update.by_database else "by the delete"
                yield f"  {update.label}: {len(update.rows)} row(s), {update.action} ({who})"
        if self.blockers:
            yield f"Rows that forbid the delete ({len(self.blockers)}):"
            yield listed(self.blockers, None if every else SHOWN)
        if self.archive is not None:
            yield f"Archived to {self.archive.destination} (sha256 {self.archive.sha256})."

    def table(self, every: bool = False) -> str:
        return "\n".join(self.lines(every))


def delete(
    roots: Any,
    *,
    policy: Policy | None = None,
    using: str | None = None,
    archive: Destination | None = None,
    dry_run: bool = False,
    keep_keys: bool = False,
) -> DeleteResult:
    """Delete ``roots`` and every row they own; return what was deleted.

    ``PROTECT`` and ``RESTRICT`` rows (and any other row that would be left
    pointing at a deleted one) raise ``DeleteBlocked``
    listing every one of them, and nothing is deleted. With ``archive``
    (any location ``django_graft.storage`` writes, but ``"-"``: a path,
    an fsspec URL, ``storage://ALIAS/name``, or a seekable binary file) the
    tree is exported there and read
    back before anything is deleted; ``graft_import`` of it restores the
    rows. With ``dry_run`` nothing is written and the blockers are returned.

    Past ``GRAFT["SERVER_SIDE_KEYS"]`` keys of a model, they are kept in a
    temporary table for the time of the delete, and the result's graph keeps
    only their counts; ``keep_keys`` keeps every key in Python instead, for
    a caller that reads them afterwards.
    """
    by_model, db = normalize_roots(roots, using)
    nested = connections[db].in_atomic_block
    server_side = None if keep_keys else graft_settings.SERVER_SIDE_KEYS
    try:
        with cyclic_gc_paused(), transaction.atomic(using=db):
            graph = collect(
                by_model, policy=policy or default_policy(), using=db, server_side_keys=server_side
            )
            with contextlib.closing(graph):
                return _delete(graph, archive, dry_run, nested=nested)
    except IntegrityError as exc:
        raise DeleteRefused(
            f"The database refused the delete: {exc}. Nothing was deleted. Rows pointing "
            "into the tree were probably added while it ran: run it again."
        ) from exc
    except DatabaseError as exc:
        raise DeleteRefused(
            f"The database failed during the delete: {exc}. Nothing was deleted."
        ) from exc


def _delete(
    graph: Graph, archive: Destination | None, dry_run: bool, *, nested: bool
) -> DeleteResult:
    """Scan, check, archive and delete a walked tree, inside the delete's transaction."""
    outside = scan_outside(graph)
    order = _delete_order(graph)
    result = DeleteResult(
        graph.using,
        dry_run,
        graph,
        {model_label(m): len(graph.owned[m]) for m in order},
        updates=outside.updates,
    )
    if dry_run:
        result.blockers = outside.blockers
        return result
    check_row_limit(graph.total_rows, f"The delete of {roots_text(graph)}")
    if outside.blockers:
        raise DeleteBlocked(blocked_message(outside.blockers), blockers=outside.blockers)
    for update in outside.updates:
        update.settle()  # one value, for the rows and the archive alike
    if archive is not None:
        result.archive = write_verified(graph, outside, archive)
    result.deleted = _run(graph, outside, order, nested=nested)
    return result


def blocked_message(blockers: list[Blocker]) -> str:
    """The whole reason a delete cannot go ahead: the first blocking rows, and the fix."""
    return (
        f"Cannot delete: {len(blockers)} row(s) forbid it:\n{listed(blockers)}\n"
        "Nothing was deleted. Delete those rows or point them elsewhere first; where the "
        "policy leaves out rows that would cascade, mark that relation 'own'."
    )


def _delete_order(graph: Graph) -> list[type[Model]]:
    """The owned models, rows that point at others first."""
    generic = [
        (edge.source, target)
        for edge, target in graph.edge_rows
        if edge.kind is EdgeKind.GENERIC_FORWARD
    ]
    owned = [model for model, keys in graph.owned.items() if keys]
    return list(reversed(dependency_order(owned, graph.policy, generic)))


def _run(
    graph: Graph, outside: Outside, order: list[type[Model]], *, nested: bool
) -> dict[str, int]:
    using = graph.using
    signalled = _signalled(graph, order)
    origin = _origin(graph) if signalled else None
    for model, objs in signalled.items():
        for obj in objs:
            _send(signals.pre_delete, model, obj, using, origin)
    tables = outside.tables | {m._meta.db_table for m in order}
    guard: contextlib.AbstractContextManager[None]
    checks_off = False
    if not checks_each_row(using):
        # Checked at commit; inside a caller's transaction, that would be too
        # late to name the fault.
        guard = checked_at_end(using, tables, now=nested)
    elif _detach_links_back(graph, order):
        guard = contextlib.nullcontext()
    else:  # a cycle of columns that cannot be NULL: as loaddata, checks off
        guard = checked_at_end(using, tables, now=True)
        checks_off = True
    for update in outside.updates:
        # With its checks off, the database does not apply ON DELETE either.
        if not update.by_database or checks_off:
            _update(update, using)
    with guard:
        return _delete_in_order(graph, order, signalled, origin)


def _detach_links_back(graph: Graph, order: list[type[Model]]) -> bool:
    """Clear the links between deleted rows that would point at rows deleted before them.

    For databases that check a foreign key as each row is deleted: a row
    pointing at a row of its own table, or of a model deleted earlier in a
    cycle, would stop the delete. The rows go anyway; their nullable links
    are set NULL first. Return False when a link that cannot be NULL is one
    of them.
    """
    position = {model: i for i, model in enumerate(order)}
    detachable = True
    for i, model in enumerate(order):
        for edge in edges_of(model):
            if edge.kind is not EdgeKind.FORWARD or edge.target is None:
                continue
            if not getattr(edge.fk, "db_constraint", False) or not edge.fk.concrete:
                continue  # no constraint to trip over (a ForeignObject has no column)
            if position.get(edge.target, len(order)) > i:
                continue
            if not edge.nullable:
                detachable = False
                continue
            linked = model._base_manager.using(graph.using).filter(
                **{f"{edge.fk.attname}__isnull": False}
            )
            for part in keyed(linked, graph.owned[model], at_once=True):
                part.update(**{edge.fk.attname: None})
    return detachable


def _delete_in_order(
    graph: Graph, order: list[type[Model]], signalled: dict[type[Model], list[Model]], origin: Any
) -> dict[str, int]:
    using = graph.using
    deleted: dict[str, int] = {}
    progress.stage("deleting", sum(len(graph.owned[model]) for model in order))
    for model in order:
        _delete_rows(model, graph.owned[model], using)
        # Rows the database removed with others (DB_CASCADE) are gone too.
        deleted[model_label(model)] = len(graph.owned[model])
        progress.advance(len(graph.owned[model]))
        for obj in signalled.get(model, ()):
            _send(signals.post_delete, model, obj, using, origin)
    return deleted


def _send(signal: Any, model: type[Model], obj: Model, using: str, origin: Any) -> None:
    """Send a delete signal as Django does; a receiver that raises refuses the delete, by name."""
    try:
        signal.send(sender=model, instance=obj, using=using, origin=origin)
    except GraftError:
        raise
    except Exception as exc:
        which = "pre_delete" if signal is signals.pre_delete else "post_delete"
        first = exc.args[0] if exc.args else ""
        detail = first if isinstance(first, str) and first else str(exc)
        raise DeleteRefused(
            f"The {which} receiver {receiver_that_raised(exc)} refused the delete of "
            f"{model_label(model)} {obj.pk!r} ({type(exc).__name__}: {detail}). Nothing was "
            "deleted."
        ) from exc


def _signalled(graph: Graph, order: list[type[Model]]) -> dict[type[Model], list[Model]]:
    """The instances to send signals for, for the models that have receivers.

    As in Django: not for auto-created through models, and not for rows the
    database deletes itself (``DB_CASCADE``), which Django never collects.
    """
    found: dict[type[Model], list[Model]] = {}
    for model in order:
        if model._meta.auto_created or _database_cascaded(graph, model):
            continue
        if not any(signal.has_listeners(model) for signal in _SIGNALS):
            continue
        manager = model._base_manager.using(graph.using)
        by_key: dict[Any, Model] = {}
        for part in keyed(manager.all(), graph.owned[model]):
            by_key.update((obj.pk, obj) for obj in part)
        found[model] = [by_key[key] for key in sorted_keys(by_key)]
    return found


def _database_cascaded(graph: Graph, model: type[Model]) -> bool:
    reason = graph.reasons.get(model)
    edge = None if reason is None else reason.edge
    return edge is not None and edge.fk is not None and action_name(edge.on_delete) == "DB_CASCADE"


def _origin(graph: Graph) -> Any:
    """What Django passes as ``origin``: the root instance, or a queryset of the roots."""
    if len(graph.roots) != 1:
        return None
    model, keys = next(iter(graph.roots.items()))
    manager = model._base_manager.using(graph.using)
    return manager.get(pk=keys[0]) if len(keys) == 1 else manager.filter(pk__in=keys)


def _update(update: OutsideUpdate, using: str) -> None:
    model = update.model
    value = update.new_value()
    manager = model._base_manager.using(using)
    keys = {key for key, _ in update.rows}
    for part in keyed(manager.all(), keys):
        part.update(**{update.field.name: value})


def _delete_rows(model: type[Model], keys: AbstractSet[Any], using: str) -> int:
    """``DELETE`` the rows with ``keys``, a batch of keys per statement; return the count.

    Keys in a table are deleted by one statement joining with it.
    """
    connection = connections[using]
    pk = model._meta.pk
    table = connection.ops.quote_name(model._meta.db_table)
    manager = model._base_manager.using(using)
    if isinstance(keys, KeyTable):
        return _delete_joined(model, keys, table)
    count = 0
    width = len(getattr(pk, "fields", ())) or 1
    for batch in chunked(sorted_keys(keys), key_batch_size(connection, width)):
        where = integer_where(model, pk, batch, using)
        if where is None:
            count += raw_delete(filter_in(manager, pk, batch), using)
        else:
            count += run_statement(connection, f"DELETE FROM {table} WHERE {where[0]}", where[1])
    return count


#: Keys a statement deleting by join takes: few enough to join in memory.
JOINED_PART = 65_536


def _delete_joined(model: type[Model], keys: KeyTable, table: str) -> int:
    """``DELETE`` the rows whose keys ``keys`` holds, by join, a part of the table at a time.

    Past any base manager's filter, as the statements by key are. Where
    the model's key orders as the key table does, in parts cut in key
    order, each bounded on the model's own key too. One join of ten
    million keys was hashed in batches on disk and deleted rows in an
    order of its own (which likely scattered the foreign key checks
    PostgreSQL runs at commit over their indexes): that delete took 106 s,
    and 76 s in parts.
    """
    connection = keys.connection
    column = connection.ops.quote_name(model._meta.pk.column)
    if not ordered_alike(model):
        # Unbounded, each part would be joined with the whole table: one join.
        return run_statement(
            connection, f"DELETE FROM {table} WHERE {column} IN ({keys.subquery().sql})", []
        )
    count = 0
    for part in keys.slices(JOINED_PART):
        where, params = [f"{column} IN ({part.sql})"], list(part.params)
        if part.low is not None:
            where.append(f"{column} > %s")
            params.append(part.low)
        if part.high is not None:
            where.append(f"{column} <= %s")
            params.append(part.high)
        count += run_statement(
            connection, f"DELETE FROM {table} WHERE {' AND '.join(where)}", params
        )
    return count
