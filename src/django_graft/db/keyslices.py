"""A part of a table of keys, cut in key order, and the rows it names.

Rows are read a part of a :class:`~django_graft.db.keytables.KeyTable` at
a time: ``pk IN (SELECT k FROM keys WHERE k > low AND k <= high)``. Given
only that, PostgreSQL may join by hashing the part and reading the whole
model table, for every part: with ten million rows, an export spent more
than half its time scanning tables of three million rows fifty times over.
So the part's bounds are also put on the model's own key, a range its
primary key index reads directly.

The bounds are the key table's values, compared as the key table orders
them. That is the model column's order for integers and UUIDs of Django's
own fields; a text key may have another collation in its table than in
the column (a collation set outside Django), and a field of the
project's may convert its values its own way, so their rows are narrowed
by the part alone.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.db.models.expressions import RawSQL

from django_graft.schema.fieldtypes import INTEGER_TYPES, converts_itself, stored_type

Q = TypeVar("Q", bound=QuerySet[Any, Any])


class KeySlice(RawSQL):
    """``SELECT k FROM keys WHERE …``: the keys above ``low`` up to ``high`` (None: no bound)."""

    def __init__(self, table: str, low: Any, high: Any) -> None:
        self.low = low
        self.high = high
        bounds = [
            *(["k > %s"] if low is not None else []),
            *(["k <= %s"] if high is not None else []),
        ]
        where = f" WHERE {' AND '.join(bounds)}" if bounds else ""
        params = tuple(v for v in (low, high) if v is not None)
        super().__init__(f"SELECT k FROM {table}{where}", params)


def ordered_alike(model: type[Model]) -> bool:
    """Whether the model's key column orders its values as a table of its keys does.

    And whether the key's field takes them back as the driver gives them:
    a field class of the project's may want its own values in a lookup.
    """
    pk: Any = model._meta.pk
    kind = stored_type(pk)
    return (kind in INTEGER_TYPES or kind == "UUIDField") and not converts_itself(pk)


def narrowed(queryset: Q, part: Any) -> Q:
    """``queryset`` narrowed to the rows whose key ``part`` holds (a subquery of keys)."""
    rows: Q = queryset.filter(pk__in=part)
    if not isinstance(part, KeySlice) or not ordered_alike(queryset.model):
        return rows
    # Lookups rather than SQL naming the table: Django relabels the key's
    # column where the rows end up in a subquery. The bounds are values as
    # the key table holds them, compared as they are stored (as the part
    # compares them): the key field's conversion would rewrite a key stored
    # otherwise than Django writes it (a UUID in capitals, say) and lose it.
    if part.low is not None:
        rows = rows.filter(pk__gt=RawSQL("%s", (part.low,)))
    if part.high is not None:
        rows = rows.filter(pk__lte=RawSQL("%s", (part.high,)))
    return rows
