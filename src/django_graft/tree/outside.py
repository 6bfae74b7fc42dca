"""Rows outside a tree that point into it: what deleting the tree does to them.

Deleting the owned rows of a graph touches every row that points at one of
them through a foreign key, and Django's ``on_delete`` says how:

* ``CASCADE`` (and 6.1's ``DB_CASCADE``): the row goes too. The default
  policy owns it already; a row the policy leaves out would be left pointing
  at nothing, so it blocks the delete.
* ``PROTECT``: every such row blocks the delete, even one that is itself
  being deleted, as in Django.
* ``RESTRICT``: a row blocks unless it is being deleted too.
* ``SET_NULL``, ``SET_DEFAULT``, ``SET(...)``: the row is updated.
* ``DB_SET_NULL``, ``DB_SET_DEFAULT`` (Django 6.1): the database updates it.
* ``DO_NOTHING``: nothing, so the database refuses where the foreign key
  has a constraint (a blocker here, named before anything runs), and the
  row keeps a dangling value where it has none.
* a function of the schema's own: called as Django calls it, with a
  collector of Django's and the rows pointing in (:func:`_ask_handler`).
  What it raises (``ProtectedError``, ``RestrictedError``) blocks the
  delete, naming the handler and the rows; the updates it asks for are
  made; anything else it asks for blocks, as graft_delete cannot do it.

One query per relation and batch of the tree's keys reads ``(key, value)``
of the rows pointing in; nothing is loaded as a model instance.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

from django.db import connections, models
from django.db.models import Model, ProtectedError, RestrictedError

from django_graft.db.batching import chunked, key_batch_size, key_order, sorted_keys
from django_graft.db.deletion import ask_on_delete, constant_db_default
from django_graft.db.fetch import fetch_rows, rows_in, rows_where
from django_graft.db.keyfilter import filter_in
from django_graft.db.keytables import KeyTable
from django_graft.exceptions import DeleteRefused, GraftError
from django_graft.policy.rules import Rule
from django_graft.schema.edges import Edge, EdgeKind, edges_of
from django_graft.schema.labels import concrete, model_label
from django_graft.tree.graph import Graph
from django_graft.tree.keysets import held_among

# Django 6.1's database-level actions; absent before.
_DB_CASCADE = getattr(models, "DB_CASCADE", None)
_DB_SET_NULL = getattr(models, "DB_SET_NULL", None)
_DB_SET_DEFAULT = getattr(models, "DB_SET_DEFAULT", None)


@dataclass(frozen=True)
class Blocker:
    """A row outside the delete (or a protected one inside it) that forbids it."""

    label: str
    pk: Any
    #: The foreign key of the blocking row, and the owned row it points at.
    field: str
    target: str
    value: Any
    why: str

    def __str__(self) -> str:
        pointed = f"{self.target} {self.value!r}"
        return f"{self.label} {self.pk!r}: {self.field} -> {pointed} ({self.why})"


@dataclass
class OutsideUpdate:
    """Rows outside the tree whose foreign key the delete changes."""

    model: type[Model]
    field: Any
    #: ``SET_NULL``, ``SET_DEFAULT``, ``SET(...)``, ``DB_SET_NULL``, ``DB_SET_DEFAULT``
    action: str
    #: Whether the database makes the change itself (``DB_SET_*``).
    by_database: bool
    #: ``(key, value it points at now)`` per row, in key order.
    rows: list[tuple[Any, Any]] = field(default_factory=list)
    #: The value written, where a handler of the schema's own said it.
    value: Any = models.NOT_PROVIDED

    @property
    def label(self) -> str:
        return f"{model_label(self.model)}.{self.field.name}"

    def new_value(self) -> Any:
        """The value the delete writes, as Django computes it (``None`` if the database does)."""
        if self.value is not models.NOT_PROVIDED:
            return self.value
        on_delete = self.field.remote_field.on_delete
        if on_delete is models.SET_DEFAULT:
            return self.field.get_default()
        if self.action.startswith("SET("):
            value = on_delete.deconstruct()[1][0]
            return value() if callable(value) else value
        return None

    def settle(self) -> None:
        """Take the value the delete writes once, so the archive records the value written.

        A function (``SET(f)``, a default that is a function) may give another
        value each time it is called: called once, the rows get, and the
        archive's link records say, the same one.
        """
        if self.by_database or self.value is not models.NOT_PROVIDED:
            return
        value = self.new_value()
        if isinstance(value, Model):  # SET(instance): the column holds its key
            value = getattr(value, self.field.target_field.attname)
        self.value = value

    def written_value(self) -> tuple[bool, Any]:
        """``(known, value)``: what the rows hold after the delete, when it can be known."""
        if self.action in ("SET_NULL", "DB_SET_NULL"):
            return True, None
        if self.value is not models.NOT_PROVIDED:
            return True, self.value
        if self.action == "DB_SET_DEFAULT":
            return constant_db_default(self.field)
        callable_default = self.action == "SET_DEFAULT" and callable(self.field.default)
        if callable_default or self.action.startswith("SET("):
            return False, None  # a function may give every batch another value
        return True, self.new_value()


@dataclass
class Outside:
    """What deleting a graph's owned rows does outside them."""

    blockers: list[Blocker] = field(default_factory=list)
    updates: list[OutsideUpdate] = field(default_factory=list)
    #: Tables whose foreign keys point at deleted rows: checked after the delete.
    tables: set[str] = field(default_factory=set)


def action_name(on_delete: Any) -> str:
    """Name Django's ``on_delete`` handler; ``SET(...)`` for a ``SET()`` closure."""
    named = {
        models.CASCADE: "CASCADE",
        models.PROTECT: "PROTECT",
        models.RESTRICT: "RESTRICT",
        models.SET_NULL: "SET_NULL",
        models.SET_DEFAULT: "SET_DEFAULT",
        models.DO_NOTHING: "DO_NOTHING",
    }
    for handler, name in (
        (_DB_CASCADE, "DB_CASCADE"),
        (_DB_SET_NULL, "DB_SET_NULL"),
        (_DB_SET_DEFAULT, "DB_SET_DEFAULT"),
    ):
        if handler is not None and on_delete is handler:
            return name
    if on_delete in named:
        return named[on_delete]
    deconstruct = getattr(on_delete, "deconstruct", None)
    if deconstruct is not None and deconstruct()[0] == "django.db.models.SET":
        return f"SET({deconstruct()[1][0]!r})"
    return getattr(on_delete, "__name__", repr(on_delete))


def scan_outside(graph: Graph) -> Outside:
    """Find the blockers and the updates of deleting ``graph``'s owned rows."""
    outside = Outside()
    for model in sorted(graph.owned, key=model_label):
        keys = graph.owned[model]
        if not keys:
            continue
        for edge in edges_of(model):
            if edge.kind is EdgeKind.REVERSE:
                _scan_edge(graph, edge, keys, outside)
    outside.blockers.sort(key=lambda b: (b.label, key_order(b.pk), b.field))
    return outside


def _scan_edge(graph: Graph, edge: Edge, keys: AbstractSet[Any], outside: Outside) -> None:
    fk, source = edge.fk, edge.target
    assert source is not None
    action = action_name(fk.remote_field.on_delete)
    owned = graph.owned.get(source, set())
    if action in ("CASCADE", "DB_CASCADE") and graph.policy.rule(edge) is Rule.OWN:
        return  # every row of the relation was collected with the tree
    if action == "DO_NOTHING" and not getattr(fk, "db_constraint", False):
        return  # Django leaves such rows pointing at the deleted keys; so does this
    outside.tables.add(source._meta.db_table)
    if action not in _KNOWN and not action.startswith("SET("):
        _ask_handler(graph, edge, _pointing_in(graph, edge, keys, set()), outside)
        return
    update: OutsideUpdate | None = None
    if action in ("SET_NULL", "SET_DEFAULT", "DB_SET_NULL", "DB_SET_DEFAULT") or action.startswith(
        "SET("
    ):
        update = OutsideUpdate(source, fk, action, by_database=action.startswith("DB_"))
    why = {
        "CASCADE": "CASCADE, but the policy does not own these rows",
        "DB_CASCADE": "DB_CASCADE, but the policy does not own these rows",
        "PROTECT": "PROTECT",
        "RESTRICT": "RESTRICT",
        "DO_NOTHING": "DO_NOTHING, and the database constraint would refuse",
    }.get(action, f"on_delete={action}")
    target = model_label(edge.source)
    # PROTECT refuses even for rows deleted with the tree, as Django's does.
    skipped = set() if action == "PROTECT" else owned
    for pk, value in _pointing_in(graph, edge, keys, skipped):
        if update is not None:
            update.rows.append((pk, value))
        else:
            outside.blockers.append(Blocker(model_label(source), pk, fk.name, target, value, why))
    if update is not None and update.rows:
        update.rows.sort(key=lambda row: key_order(row[0]))
        outside.updates.append(update)


#: The handlers Django ships, whose effect is known without calling them.
_KNOWN = frozenset(
    {
        "CASCADE",
        "DB_CASCADE",
        "PROTECT",
        "RESTRICT",
        "SET_NULL",
        "SET_DEFAULT",
        "DB_SET_NULL",
        "DB_SET_DEFAULT",
        "DO_NOTHING",
    }
)


def _ask_handler(
    graph: Graph, edge: Edge, pointing: list[tuple[Any, Any]], outside: Outside
) -> None:
    """Run an ``on_delete`` function of the schema's own on the rows pointing in.

    Django calls it with its collector and the related rows (those being
    deleted too included), and acts on what the collector then holds; so
    does this, in batches of rows: a refusal becomes blockers that name the
    handler and its message, an update of the link becomes an outside
    update, and rows it would delete or restrict outside the tree block.
    """
    fk, source = edge.fk, edge.target
    assert source is not None
    name = action_name(fk.remote_field.on_delete)
    label, target = model_label(source), model_label(edge.source)
    values = dict(pointing)
    owned = graph.owned.get(source, set())
    manager = source._base_manager.using(graph.using)
    updates: dict[Any, OutsideUpdate] = {}
    for batch in chunked(sorted_keys(values), key_batch_size(connections[graph.using])):
        try:
            answer = ask_on_delete(fk, filter_in(manager, source._meta.pk, batch), graph.using)
        except (ProtectedError, RestrictedError) as exc:
            refused: Any = getattr(exc, "protected_objects", None) or getattr(
                exc, "restricted_objects", ()
            )
            why = f"on_delete={name} refused: {exc.args[0]}"
            outside.blockers.extend(
                Blocker(label, obj.pk, fk.name, target, values.get(obj.pk), why) for obj in refused
            )
            continue
        except GraftError:
            raise
        except Exception as exc:
            raise DeleteRefused(
                f"The on_delete function {name} of {label}.{fk.name} failed on rows pointing "
                f"at {target} ({type(exc).__name__}: {exc}). Nothing was deleted."
            ) from exc
        for (changed, value), keys in answer.updates.items():
            inside = held_among(owned, keys)
            for obj_pk in keys:
                if obj_pk in inside:
                    continue
                if changed is not fk:
                    why = f"on_delete={name} changes {changed.name}, which graft_delete cannot do"
                    outside.blockers.append(
                        Blocker(label, obj_pk, fk.name, target, values.get(obj_pk), why)
                    )
                    continue
                update = updates.setdefault(
                    value, OutsideUpdate(source, fk, name, by_database=False, value=value)
                )
                update.rows.append((obj_pk, values.get(obj_pk)))
        for model, keys in answer.collected:
            inside = held_among(graph.owned.get(concrete(model), set()), keys)
            for obj_pk in keys:
                if obj_pk not in inside:
                    why = (
                        f"on_delete={name} would delete or restrict it, which the tree does not own"
                    )
                    outside.blockers.append(
                        Blocker(model_label(model), obj_pk, fk.name, target, None, why)
                    )
    outside.tables.add(source._meta.db_table)
    for update in updates.values():
        update.rows.sort(key=lambda row: key_order(row[0]))
        outside.updates.append(update)


def _pointing_in(
    graph: Graph, edge: Edge, keys: AbstractSet[Any], skipped: AbstractSet[Any]
) -> list[tuple[Any, Any]]:
    """``(key, value)`` of the rows whose link of ``edge`` names one of ``keys``.

    Rows whose key is in ``skipped`` are left out. The value is a tuple for a
    link by several columns.
    """
    source = edge.target
    assert source is not None
    names = [f.attname for f in edge.link_fields]
    if len(names) == 1 and (isinstance(keys, KeyTable) or isinstance(skipped, KeyTable)):
        return _pointing_in_by_join(graph, edge, keys, skipped)
    values = keys if edge.via_pk else _target_values(graph, edge, keys)
    rows = rows_where(source, edge.link_fields, values, ["pk", *names], graph.using)
    if len(names) == 1:
        pairs = [(row[0], row[1]) for row in rows]
    else:
        pairs = [(row[0], tuple(row[1:])) for row in rows]
    inside = held_among(skipped, [key for key, _ in pairs]) if skipped else set()
    return [pair for pair in pairs if pair[0] not in inside]


def _pointing_in_by_join(
    graph: Graph, edge: Edge, keys: AbstractSet[Any], skipped: AbstractSet[Any]
) -> list[tuple[Any, Any]]:
    """:func:`_pointing_in` where the keys, or those skipped, are in a table.

    The database joins with the tables: only the rows pointing in from
    outside ``skipped`` are read.
    """
    source = edge.target
    assert source is not None
    (link,) = edge.link_fields
    manager = source._base_manager.using(graph.using)
    if isinstance(skipped, KeyTable):
        manager = manager.exclude(pk__in=skipped.subquery())
    parts: Any
    if isinstance(keys, KeyTable):
        on_rows = keys.subquery() if edge.via_pk else keys.rows().values(edge.key_fields[0].attname)
        parts = [manager.filter(**{f"{link.attname}__in": on_rows})]
    else:
        values = keys if edge.via_pk else _target_values(graph, edge, keys)
        size = key_batch_size(connections[graph.using])
        parts = (filter_in(manager, link, batch) for batch in chunked(sorted_keys(values), size))
    pairs = [
        (row[0], row[1])
        for part in parts
        for chunk in fetch_rows(part.order_by("pk").values_list("pk", link.attname), 10_000)
        for row in chunk
    ]
    if skipped and not isinstance(skipped, KeyTable):
        return [pair for pair in pairs if pair[0] not in skipped]
    return pairs


def _target_values(graph: Graph, edge: Edge, keys: AbstractSet[Any]) -> set[Any]:
    """The values of the columns a link names (a ``to_field``) on the owned ``keys``."""
    model = edge.source
    names = [f.attname for f in edge.key_fields]
    rows = rows_in(model, model._meta.pk, keys, names, graph.using)
    if len(names) == 1:
        return {row[0] for row in rows if row[0] is not None}
    return {tuple(row) for row in rows if None not in row}
