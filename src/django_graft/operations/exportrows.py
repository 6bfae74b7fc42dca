"""Stream the rows of a graph out of the database, in batches, as field dicts.

Values come from ``values_list()`` queries (converted by each field's
``from_db_value`` but never turned into model instances) read in big chunks
by :mod:`django_graft.db.fetch`, which is what makes streaming several times
faster than Django's serializers.
"""

from __future__ import annotations

import datetime
import heapq
from collections.abc import Callable, Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from itertools import repeat
from typing import Any

from django.db import connections
from django.db.models import Model

from django_graft.archive.schema import stored_fields
from django_graft.conf import graft_settings
from django_graft.db.batching import chunked, key_batch_size, sorted_keys
from django_graft.db.fetch import fetch_rows
from django_graft.db.keyfilter import filter_in
from django_graft.db.keytables import KeyTable
from django_graft.policy.rules import Policy, Rule
from django_graft.schema.edges import EdgeKind, edges_of
from django_graft.schema.fieldtypes import as_text, converts_itself, stored_type
from django_graft.schema.labels import model_label
from django_graft.tree.graph import Graph, Role

#: ``{"model": label, "pk": pk, "fields": {name: value}, "role": "own"|"need"}``,
#: the object record of archive v1, ready to encode.
Record = dict[str, Any]

OWN, NEED = Role.OWN.value, Role.NEED.value


class ModelRows:
    """Read the rows of one model the way an archive record holds them.

    The primary key is kept out of ``fields`` (as Django's serializers do)
    unless it is composite, in which case its component fields stay in.
    """

    def __init__(self, model: type[Model], policy: Policy) -> None:
        self.model = model
        self.label = model_label(model)
        composite = hasattr(model._meta.pk, "fields")
        excluded = policy.excluded_fields(model)
        fields = [
            f
            for f in stored_fields(model)
            if (composite or not f.primary_key) and f.name not in excluded
        ]
        self.names = [f.name for f in fields]
        # The primary key is read last so that zip(names, row) drops it.
        self.columns = [*(f.attname for f in fields), "pk"]
        skipped = {
            edge.fk.name
            for edge in edges_of(model)
            if edge.kind is EdgeKind.FORWARD and policy.rule(edge) is Rule.SKIP
        }
        self.cleared = [name for name in self.names if name in skipped]
        self.masks: dict[str, Callable[[Any], Any]] = {
            name: fn for name, fn in policy.masks(model).items() if name in self.names
        }
        self.encoders = [(f.name, as_text(f)) for f in fields if converts_itself(f)]
        pk: Any = model._meta.pk
        simple_key = not composite
        self.key_encoder = as_text(pk) if simple_key and converts_itself(pk) else None
        self.datetime_key = simple_key and stored_type(pk) == "DateTimeField"

    def read(
        self, keys: list[Any], using: str, owned: AbstractSet[Any], *, utc_naive: bool = False
    ) -> Iterator[Sequence[Record]]:
        """Yield the rows for ``keys`` in chunks, ordered by primary key.

        A row's role is ``own`` when its key is in ``owned``, else ``need``.
        ``utc_naive`` is passed on to :func:`~django_graft.db.fetch.fetch_rows`.
        """
        manager = self.model._base_manager.using(using)
        queryset = (
            filter_in(manager, self.model._meta.pk, keys).order_by("pk").values_list(*self.columns)
        )
        is_owned = _membership(owned, utc_naive and self.datetime_key)
        for rows in fetch_rows(queryset, graft_settings.CHUNK_SIZE, utc_naive=utc_naive):
            yield self.chunk(rows, [OWN if is_owned(row[-1]) else NEED for row in rows])

    def chunk(self, rows: Sequence[tuple[Any, ...]], roles: Sequence[str]) -> Sequence[Record]:
        """The records of ``rows``: made when looked at, but at once for masks and encoders."""
        if self.masks or self.encoders or self.key_encoder:
            return self.records(rows, roles)
        return RecordChunk(self, rows, roles)

    def records(self, rows: Sequence[tuple[Any, ...]], roles: Iterable[str]) -> list[Record]:
        """The records of ``rows`` (as :attr:`columns` reads them), of the roles given."""
        label, names = self.label, self.names
        # map(dict, map(zip, ...)) builds the field dicts in C; zip stops
        # at the shorter, so the primary key at the end of a row is left out.
        fields = map(dict, map(zip, repeat(names), rows))
        chunk = [
            {"model": label, "pk": row[-1], "fields": f, "role": role}
            for row, f, role in zip(rows, fields, roles, strict=True)
        ]
        if self.cleared or self.masks or self.encoders or self.key_encoder:
            self._rewrite(chunk)
        return chunk

    def _rewrite(self, chunk: list[Record]) -> None:
        """Encode custom values, clear the skipped foreign keys, apply the masks, in place."""
        for record in chunk:
            fields = record["fields"]
            for name, encode in self.encoders:
                fields[name] = encode(fields[name])
            if self.key_encoder is not None:
                record["pk"] = self.key_encoder(record["pk"])
            for name in self.cleared:
                fields[name] = None
            for name, mask in self.masks.items():
                fields[name] = mask(fields[name])


class RecordChunk(Sequence[Record]):
    """Rows read and their roles, made into records when first looked at.

    An archive encodes its records on a thread of its own (see
    :mod:`~django_graft.archive.writerthread`): the records of plain values
    are made there too, while the reading thread waits for the next rows.
    Rows held until then also take a third of the memory their records
    would. A model whose values go through code of the project's (masks, a
    custom field's ``value_to_string``) has its records made at once, by
    :meth:`ModelRows.chunk`: that code runs where the caller's connection,
    transaction, language and time zone are.
    """

    __slots__ = ("_reader", "_records", "_roles", "_rows")

    def __init__(self, reader: ModelRows, rows: Sequence[tuple[Any, ...]], roles: Sequence[str]):
        self._reader = reader
        self._rows = rows
        self._roles = roles
        self._records: list[Record] | None = None

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, index: Any) -> Any:
        return self._made()[index]

    def __iter__(self) -> Iterator[Record]:
        return iter(self._made())

    def _made(self) -> list[Record]:
        if self._records is None:
            self._records = self._reader.records(self._rows, self._roles)
        return self._records


def _membership(keys: AbstractSet[Any], naive_utc: bool) -> Callable[[Any], bool]:
    """``key in keys``; with ``naive_utc``, for a naive datetime key read as UTC."""
    if not naive_utc:
        return keys.__contains__

    def contains(key: Any) -> bool:
        if isinstance(key, datetime.datetime) and key.tzinfo is None:
            key = key.replace(tzinfo=datetime.timezone.utc)
        return key in keys

    return contains


def iter_records(
    graph: Graph, model: type[Model], *, utc_naive: bool = False
) -> Iterator[Sequence[Record]]:
    """Yield every owned and needed row of ``model`` in ``graph``, in key order.

    With ``utc_naive``, datetimes the database keeps in UTC may come back
    naive (see :func:`~django_graft.db.fetch.fetch_rows`).
    """
    reader = ModelRows(model, graph.policy)
    owned = graph.owned.get(model, set())
    needed = graph.needed.get(model, set())
    if isinstance(owned, KeyTable) or isinstance(needed, KeyTable):
        yield from _joined_records(reader, graph.using, owned, needed, utc_naive)
        return
    connection = connections[graph.using]
    size = key_batch_size(connection, len(getattr(model._meta.pk, "fields", ())) or 1)
    for batch in chunked(sorted_keys(owned | needed), size):
        yield from reader.read(batch, graph.using, owned, utc_naive=utc_naive)


def _joined_records(
    reader: ModelRows,
    using: str,
    owned: AbstractSet[Any],
    needed: AbstractSet[Any],
    utc_naive: bool,
) -> Iterator[Sequence[Record]]:
    """The records of keys some of which are in tables: each role read in key order, merged."""
    roles = [(keys, role) for keys, role in ((owned, OWN), (needed, NEED)) if keys]
    if len(roles) == 1:  # nothing to merge: chunks go as they are read
        keys, role = roles[0]
        for rows in _role_rows(reader, using, keys, utc_naive):
            yield reader.chunk(rows, [role] * len(rows))
        return
    streams = [_tagged(_role_rows(reader, using, keys, utc_naive), role) for keys, role in roles]
    merged = heapq.merge(*streams, key=_row_key)
    for chunk in chunked(merged, graft_settings.CHUNK_SIZE):
        merged_rows, merged_roles = zip(*chunk, strict=True)
        yield reader.chunk(merged_rows, merged_roles)


def _tagged(chunks: Iterator[list[tuple[Any, ...]]], role: str) -> Iterator[tuple[Any, str]]:
    for rows in chunks:
        yield from zip(rows, repeat(role))


def _row_key(pair: tuple[tuple[Any, ...], str]) -> Any:
    return pair[0][-1]


def _role_rows(
    reader: ModelRows, using: str, keys: AbstractSet[Any], utc_naive: bool
) -> Iterator[list[tuple[Any, ...]]]:
    """The rows of ``keys`` in key order, in chunks: by join when they are in a table."""
    model, chunk = reader.model, graft_settings.CHUNK_SIZE
    size = key_batch_size(connections[using])
    if isinstance(keys, KeyTable):
        parts = (keys.rows(part) for part in keys.slices(size))
    else:
        manager = model._base_manager.using(using)
        parts = (filter_in(manager, model._meta.pk, b) for b in chunked(sorted_keys(keys), size))
    for queryset in parts:
        ordered = queryset.order_by("pk").values_list(*reader.columns)
        yield from fetch_rows(ordered, chunk, utc_naive=utc_naive)
