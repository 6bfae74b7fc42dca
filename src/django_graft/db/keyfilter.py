"""Filter a queryset by a list of keys without per-value preparation.

``filter(pk__in=keys)`` runs every key through the field's lookup
preparation, which costs more than the query itself on big key lists. Keys
that came out of the database as plain integers need none of it, so for
integer columns the ``IN`` list is added as SQL with the keys as
parameters. Any other key type takes Django's normal path.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar, cast

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Lookup, Model, QuerySet, Value
from django.db.models.sql.compiler import SQLCompiler

from django_graft.schema.fieldtypes import INTEGER_TYPES, stored_type

Q = TypeVar("Q", bound=QuerySet[Any, Any])


def _integer_columns(field: Any) -> list[str] | None:
    """The columns of ``field`` when they all hold integers, else ``None``."""
    parts = list(getattr(field, "fields", ())) or [field]  # a CompositePrimaryKey has parts
    if not all(getattr(part, "column", None) for part in parts):
        return None
    if not all(stored_type(part) in INTEGER_TYPES for part in parts):
        return None
    return [part.column for part in parts]


def _all_integers(keys: Sequence[Any], width: int) -> bool:
    # set(map(type, ...)) runs in C: this check is on the path of every batch.
    if width == 1:
        return set(map(type, keys)) <= {int}
    return set(map(type, keys)) <= {tuple} and all(
        len(key) == width and set(map(type, key)) <= {int} for key in keys
    )


def _array(integers: Iterable[int]) -> str:
    """A PostgreSQL array literal of integers.

    Written here rather than by the driver, which escapes a list element by
    element in Python.
    """
    return "{" + ",".join(map(str, integers)) + "}"


def _array_where(columns: list[str], keys: Sequence[Any]) -> tuple[str, list[Any]]:
    """PostgreSQL: compare with arrays of keys, one parameter per column."""
    if len(columns) == 1:
        return f"{columns[0]} = ANY(%s::bigint[])", [_array(keys)]
    marks = ", ".join(["%s::bigint[]"] * len(columns))
    where = f"({', '.join(columns)}) IN (SELECT * FROM unnest({marks}))"
    return where, [_array(part) for part in zip(*keys, strict=True)]


def _in_list_where(columns: list[str], keys: Sequence[Any]) -> tuple[str, list[Any]]:
    """Any other backend: an ``IN`` list with one parameter per value."""
    if len(columns) == 1:
        target, mark = columns[0], "%s"
        params = list(keys)
    else:
        target = f"({', '.join(columns)})"
        mark = f"({', '.join(['%s'] * len(columns))})"
        params = [value for key in keys for value in key]
    return f"{target} IN ({', '.join([mark] * len(keys))})", params


class KeysIn(Lookup):
    """A condition written here in SQL, added to the ``WHERE`` clause as it is.

    ``filter()`` takes a lookup object as a condition of its own (public since
    Django 4.0); any other expression, ``RawSQL`` included, it compares with
    ``TRUE``, which MariaDB cannot answer from an index. The SQL and its
    parameters are the lookup's right-hand side; its left-hand side is unused.
    """

    lookup_name = "graft_keys_in"
    prepare_rhs = False

    def __init__(self, sql: str, params: Sequence[Any]) -> None:
        super().__init__(Value(True), (sql, tuple(params)))

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> tuple[str, Any]:
        sql, params = self.rhs
        return sql, list(params)


def filter_in(queryset: Q, field: Any, keys: Sequence[Any]) -> Q:
    """Return ``queryset`` restricted to rows whose ``field`` is in ``keys``.

    On PostgreSQL integer keys travel as one array literal per column: the
    driver handles a statement's placeholders one by one, which for tens of
    thousands of them costs more than running the query.

    Composite keys of integers become one row-value ``IN``, which both
    PostgreSQL and SQLite (3.15+) take; Django before 6.0 writes them as a
    chain of ``OR`` terms that SQLite refuses past a depth of 1,000.
    """
    if not keys:
        return cast(Q, queryset.none())
    sql = integer_where(queryset.model, field, keys, queryset.db)
    if sql is not None:
        restricted: Any = queryset.filter(KeysIn(*sql))
    else:
        name = field.attname if field.column else field.name
        restricted = queryset.filter(**{f"{name}__in": keys})
    return cast(Q, restricted)


def integer_where(
    model: type[Model], field: Any, keys: Sequence[Any], using: str
) -> tuple[str, list[Any]] | None:
    """``(sql, params)`` selecting the rows of ``model`` whose ``field`` is in ``keys``.

    Only for integer columns and integer keys (see :func:`filter_in`);
    ``None`` for anything else, which takes Django's own ``__in`` lookup.
    """
    columns = _integer_columns(field)
    if not columns or not _all_integers(keys, len(columns)):
        return None
    owner = getattr(field, "model", model)
    if owner._meta.db_table != model._meta.db_table:
        # A field inherited from a multi-table parent lives in the parent's
        # table, which only Django's lookup knows how to join.
        return None
    connection = connections[using]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    qualified = [f"{table}.{quote(column)}" for column in columns]
    build = _array_where if connection.vendor == "postgresql" else _in_list_where
    return build(qualified, keys)
