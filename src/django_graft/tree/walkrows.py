"""The rows a graph walk reads: keys plus the columns its next step follows."""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from django.db.models import QuerySet

from django_graft.db.fetch import fetch_rows
from django_graft.schema.edges import Edge, EdgeKind, generic_columns


class Rows:
    """Rows of ``(pk, column, ...)`` read for a batch of keys, used column by column."""

    def __init__(self, names: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        self._index = {name: i for i, name in enumerate(names)}
        self._rows = rows

    @classmethod
    def read(cls, names: tuple[str, ...], queryset: QuerySet[Any, Any]) -> Rows:
        fetched = fetch_rows(queryset.values_list(*names), _FETCH_CHUNK)
        return cls(names, [row for chunk in fetched for row in chunk])

    def column(self, name: str) -> list[Any]:
        return list(map(itemgetter(self._index[name]), self._rows))


#: Rows per fetch from the cursor while walking.
_FETCH_CHUNK = 10_000


def row_names(edges: list[Edge]) -> tuple[str, ...]:
    """The columns a row query reads so that ``edges`` can be followed: ``pk`` first."""
    columns: list[str] = []
    for edge in edges:
        if edge.kind is EdgeKind.FORWARD:
            columns.extend(f.attname for f in edge.link_fields)
        elif edge.kind is EdgeKind.GENERIC_FORWARD:
            columns.extend(generic_columns(edge))
        elif edge.kind is EdgeKind.REVERSE and not edge.via_pk:
            columns.extend(f.attname for f in edge.key_fields)
        elif edge.kind is EdgeKind.DYNAMIC:
            assert edge.dynamic is not None
            columns.extend(edge.dynamic.columns)
    return ("pk", *dict.fromkeys(columns))


def link_values(rows: Rows, fields: tuple[Any, ...]) -> list[Any]:
    """The values ``rows`` hold in ``fields``: tuples for several, none with a NULL part."""
    if len(fields) == 1:
        return [v for v in rows.column(fields[0].attname) if v is not None]
    columns = [rows.column(f.attname) for f in fields]
    return [values for values in zip(*columns, strict=True) if None not in values]
