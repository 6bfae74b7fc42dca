"""Key sets of a walk that move into the database once they grow past a limit.

A model's keys are a Python ``set`` while they are few, and a
:class:`~django_graft.db.keytables.KeyTable` once they pass
``GRAFT["SERVER_SIDE_KEYS"]`` (when the operation allows it): the walk
then follows edges from them by ``INSERT … SELECT`` and whoever reads the
graph joins with the table.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from collections.abc import Set as AbstractSet
from typing import Any, TypeVar

from django.db import connections
from django.db.models import Model, QuerySet

from django_graft.db.batching import chunked, key_batch_size, sorted_keys
from django_graft.db.fetch import fetch_keys
from django_graft.db.keycolumns import key_column_type, tables_allowed
from django_graft.db.keyfilter import filter_in
from django_graft.db.keyslices import narrowed
from django_graft.db.keytables import KeyTable

Q = TypeVar("Q", bound=QuerySet[Any, Any])

#: A model's keys of one role: in Python, or in the database.
Keys = set[Any] | KeyTable


class TableSpace:
    """The temporary tables of one walk, and whether its connection may make any.

    Every table made is listed, so the walk can drop them all whatever
    happens. A transaction that cannot create tables (a read-only one on
    PostgreSQL: a hot standby, ``default_transaction_read_only``) keeps its
    keys in Python; the question is asked once, before the first table.
    """

    def __init__(self, using: str, limit: int | None) -> None:
        self.using = using
        self.limit = limit
        self.tables: list[KeyTable] = []
        self._allowed: bool | None = None

    def limit_for(self, model: type[Model]) -> int | None:
        """How many keys of ``model`` stay in Python; ``None``: all of them."""
        return self.limit if key_column_type(model, self.using) else None

    def allowed(self) -> bool:
        if self._allowed is None:
            self._allowed = tables_allowed(self.using)
        return self._allowed

    def new(self, model: type[Model]) -> KeyTable:
        table = KeyTable(model, self.using)
        self.tables.append(table)
        return table

    def holding(self, keys: Keys, model: type[Model]) -> KeyTable:
        """``keys`` in a table: the table itself, or a new one holding the Python set's keys."""
        if isinstance(keys, KeyTable):
            return keys
        table = self.new(model)
        table.add(keys)
        return table


class KeyBag:
    """The keys found for one model in one round, spilling into a table past the limit.

    ``limit`` is ``None`` when the walk keeps every key in Python (or the
    model's keys cannot go into a table).
    """

    def __init__(self, model: type[Model], space: TableSpace) -> None:
        self.model = model
        self.space = space
        self.limit = space.limit_for(model)
        self.keys: set[Any] = set()
        self.table: KeyTable | None = None

    def __len__(self) -> int:
        return len(self.keys) + (len(self.table) if self.table is not None else 0)

    def in_database(self) -> bool:
        return self.table is not None

    def room(self) -> int | None:
        """How many more keys stay in Python; ``None``: no limit."""
        if self.table is not None or not self.can_spill():
            return None
        assert self.limit is not None
        return max(self.limit - len(self.keys), 0)

    def can_spill(self) -> bool:
        return self.limit is not None and self.space.allowed()

    def add(self, keys: Iterable[Any]) -> None:
        if self.table is not None:
            self.table.add(keys)
            return
        self.keys.update(keys)
        if self.limit is not None and len(self.keys) > self.limit and self.can_spill():
            self.spill()

    def add_query(self, queryset: QuerySet[Any, Any]) -> int:
        """Add the keys a one-column queryset selects, each once, in the database.

        Return how many were new.
        """
        return self.spill().add_query(queryset, distinct=True)

    def discard(self, key: Any) -> None:
        self.keys.discard(key)
        if self.table is not None:
            self.table.discard(key)

    def spill(self) -> KeyTable:
        """Move the keys into a table (made on first use) and return it."""
        if self.table is None:
            self.table = self.space.new(self.model)
        if self.keys:
            self.table.add(self.keys)
            self.keys = set()
        return self.table

    def emptied(self) -> KeyTable:
        """Hand over the table the keys were spilled into; the bag is left empty."""
        table = self.spill()
        self.table = None
        return table


def without(keys: set[Any], held: AbstractSet[Any]) -> set[Any]:
    """The keys not in ``held``, as far as Python knows: a table is not asked.

    For a walk checking keys it found: checking a key that is held already
    costs a little, asking the table about every key would cost a query each.
    """
    if not held or isinstance(held, KeyTable):
        return set(keys)
    return keys.difference(held)


def keyed(queryset: Q, keys: AbstractSet[Any], *, at_once: bool = False) -> Iterator[Q]:
    """``queryset`` narrowed to the rows of ``keys``, in parts.

    Keys in Python: one part per batch of keys (an ``IN`` list as big as the
    backend takes), in key order. Keys in a table: joined with it, in
    :meth:`~django_graft.db.keytables.KeyTable.slices`, or in one part with
    ``at_once`` (for an ``UPDATE`` or a ``DELETE``, which read nothing back).
    """
    if isinstance(keys, KeyTable):
        parts = [keys.subquery()] if at_once else keys.slices(key_batch_size(keys.connection))
        for part in parts:
            yield narrowed(queryset, part)
        return
    model = queryset.model
    width = len(getattr(model._meta.pk, "fields", ())) or 1
    size = key_batch_size(connections[queryset.db], width)
    for batch in chunked(sorted_keys(keys), size):
        yield filter_in(queryset, model._meta.pk, batch)


def held_among(keys: AbstractSet[Any], candidates: Iterable[Any]) -> set[Any]:
    """Those of ``candidates`` that ``keys`` holds: for a table, one query per batch."""
    if not isinstance(keys, KeyTable):
        return {key for key in candidates if key in keys}
    return {key for part in keyed(keys.rows(), set(candidates)) for key in fetch_keys(part)}
