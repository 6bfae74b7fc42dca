"""Read ``values_list()`` rows in big chunks, converting only the columns that need it.

Iterating a values queryset costs more per row than the query itself: Django
fetches 100 rows at a time through its cursor wrapper and runs every row
through a generator of converters, even when only one column has any. Here
the query is compiled by Django (so every filter, alias and quoting rule is
Django's own) and run on a plain cursor; rows come back in chunks of
thousands, and a column is converted only when the backend or its field has
a converter for it.

Queries selecting a composite primary key are left to Django, which turns
its columns back into tuples.
"""

from __future__ import annotations

import contextlib
import datetime
import zoneinfo
from collections.abc import Callable, Generator, Iterator
from typing import Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Model, QuerySet

from django_graft.db.batching import chunked, key_batch_size, sorted_keys
from django_graft.db.collation import Pairing
from django_graft.db.driver import qmark, sqlite_execute
from django_graft.db.jsonread import json_converter
from django_graft.db.keyfilter import filter_in
from django_graft.db.timestamps import read_timestamps_natively

Row = tuple[Any, ...]

_UTC = zoneinfo.ZoneInfo("UTC")
Converter = Callable[[Any], Any]


def _sqlite_datetime(connection: Any, fallback: Converter) -> Converter:
    """Make SQLite's naive datetimes aware without Django's per-value checks.

    Django's own converter goes through ``parse_datetime``, ``is_aware`` and
    ``make_aware`` per value, which dominates the cost of reading a table of
    timestamps. The values usually arrive parsed already (Django registers a
    ``datetime`` decoder with the driver); text is read with
    ``fromisoformat``; anything else goes to Django's converter.
    """
    parse = datetime.datetime.fromisoformat
    zone = connection.timezone if settings.USE_TZ else None

    def convert(value: Any) -> Any:
        if type(value) is str:
            try:
                value = parse(value)
            except ValueError:
                return fallback(value)
        if type(value) is not datetime.datetime:
            return fallback(value)
        if value.tzinfo is None and zone is not None:
            return value.replace(tzinfo=zone)
        return value

    return convert


def _is_sqlite_datetime(connection: Any, converters: list[Any], expression: Any) -> bool:
    """Whether a column holds a SQLite datetime that only Django's converter touches."""
    field = getattr(expression, "output_field", None)
    return (
        connection.vendor == "sqlite"
        and field is not None
        and field.get_internal_type() == "DateTimeField"
        and len(converters) == 1
        and getattr(converters[0], "__name__", "") == "convert_datetimefield_value"
    )


def _column_converter(connection: Any, converters: list[Any], expression: Any) -> Converter:
    def convert(value: Any) -> Any:
        for converter in converters:
            value = converter(value, expression, connection)
        return value

    if _is_sqlite_datetime(connection, converters, expression):
        return _sqlite_datetime(connection, convert)
    return json_converter(converters, expression, convert) or convert


def _link_converters(connection: Any, expression: Any) -> tuple[list[Any], Any] | None:
    """The converters of the column a foreign key points at, for the key's own column.

    Django converts a foreign key's column by the foreign key's type, which
    converts nothing: on SQLite a link to a datetime key reads as text, and
    a link to a key of a custom type skips its ``from_db_value``. Read as its
    target is, the value equals the key it names.
    """
    field = getattr(expression, "output_field", None)
    if field is None or not field.is_relation or not field.concrete:
        return None
    target = field
    while target.remote_field is not None and hasattr(target, "target_field"):
        target = target.target_field
    column = target.cached_col
    converters = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
    return (converters, column) if converters else None


def naive_means_utc(connection: Any) -> bool:
    """Whether naive datetimes read from ``connection`` are in UTC.

    True on SQLite with ``USE_TZ`` on and no ``TIME_ZONE`` for the database:
    Django stores every aware datetime there as UTC text.
    """
    return (
        connection.vendor == "sqlite"
        and settings.USE_TZ
        and connection.timezone in (datetime.timezone.utc, _UTC)
    )


def fetch_rows(
    queryset: QuerySet[Any, Any], chunk_size: int, *, utc_naive: bool = False
) -> Generator[list[Row], None, None]:
    """Yield the rows of a ``values_list()`` queryset in chunks of ``chunk_size``.

    With ``utc_naive``, datetimes that :func:`naive_means_utc` says are in
    UTC are left naive rather than made aware one by one: for a caller that
    writes naive datetimes as UTC anyway, such as the archive encoder.
    """
    if not queryset.query.order_by and not queryset.query.is_sliced:
        # Meta.ordering would only cost a sort (and can loop on its relations).
        queryset = queryset.order_by()
    connection = connections[queryset.db]
    # The compiler is Django's own, undocumented: as_sql() gives the statement,
    # select[:col_count] the selected expressions, get_converters() the
    # backend's and fields' converters by column (tests/db/test_fetch.py).
    compiler: Any = queryset.query.get_compiler(using=queryset.db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:  # a filter that can match nothing, such as an empty IN list
        return
    fields = [s[0] for s in compiler.select[0 : compiler.col_count]]
    if getattr(compiler, "has_composite_fields", lambda _: False)(fields):
        yield from _django_rows(queryset, chunk_size)
        return
    keep_naive = utc_naive and naive_means_utc(connection)
    found = compiler.get_converters(fields)
    for index, expression in enumerate(fields):
        if index not in found and (through := _link_converters(connection, expression)):
            found[index] = through
    converters = [
        (index, _column_converter(connection, convs, expression))
        for index, (convs, expression) in found.items()
        if not (keep_naive and _is_sqlite_datetime(connection, convs, expression))
    ]
    with contextlib.closing(_execute(connection, sql, params)) as cursor:
        while True:
            chunk = cursor.fetchmany(chunk_size)
            if not chunk:
                return
            yield _convert(chunk, converters) if converters else chunk


def _execute(connection: Any, sql: str, params: Any) -> Any:
    """A cursor that has run ``sql``: the driver's own on SQLite (see :mod:`.driver`)."""
    if connection.vendor == "sqlite" and (plain := qmark(sql)) is not None:
        return sqlite_execute(connection, plain, params)
    cursor = connection.cursor()
    read_timestamps_natively(connection, cursor)
    cursor.execute(sql, params)
    return cursor


def fetch_keys(queryset: QuerySet[Any, Any]) -> set[Any]:
    """Return the set of primary keys a queryset selects."""
    return {row[0] for chunk in fetch_rows(queryset.values_list("pk"), 10_000) for row in chunk}


def _convert(chunk: list[Row], converters: list[tuple[int, Converter]]) -> list[Row]:
    """Convert a chunk column by column: one ``map`` per converted column."""
    columns = list(zip(*chunk, strict=True))
    for index, convert in converters:
        columns[index] = tuple(map(convert, columns[index]))
    return list(zip(*columns, strict=True))


def _django_rows(queryset: QuerySet[Any, Any], chunk_size: int) -> Iterator[list[Row]]:
    return chunked(queryset.iterator(chunk_size=chunk_size), chunk_size)


def rows_in(
    model: type[Model], field: Any, keys: Any, columns: list[str], using: str
) -> Iterator[Row]:
    """The ``columns`` of the rows of ``model`` whose ``field`` is in ``keys``.

    One query per batch of keys, as big a batch as the backend takes.
    """
    manager = model._base_manager.using(using)
    width = len(getattr(field, "fields", ())) or 1
    for batch in chunked(sorted_keys(keys), key_batch_size(connections[using], width)):
        for chunk in fetch_rows(filter_in(manager, field, batch).values_list(*columns), 10_000):
            yield from chunk


def rows_where(
    model: type[Model], fields: tuple[Any, ...], values: Any, columns: list[str], using: str
) -> Iterator[Row]:
    """The ``columns`` of the rows of ``model`` whose ``fields`` hold one of ``values``.

    One field: as :func:`rows_in`. Several (a link by more than one column,
    whose ``values`` are tuples): the rows are looked up by the column with
    the most distinct values, an ``IN`` list per batch, and the whole tuples
    compared here as the database compares them (see :mod:`.collation`).
    """
    if len(fields) == 1:
        yield from rows_in(model, fields[0], values, columns, using)
        return
    wanted = set(values)
    parts = [{value[i] for value in wanted} for i in range(len(fields))]
    by = max(range(len(fields)), key=lambda i: len(parts[i]))
    manager = model._base_manager.using(using)
    pair = Pairing(wanted)
    read = [*columns, *(f.attname for f in fields)]
    for batch in chunked(sorted_keys(parts[by]), key_batch_size(connections[using])):
        queryset = filter_in(manager, fields[by], batch).values_list(*read)
        for chunk in fetch_rows(queryset, 10_000):
            for row in chunk:
                if pair(tuple(row[len(columns) :])) is not None:
                    yield row[: len(columns)]


def keys_where(model: type[Model], fields: tuple[Any, ...], values: Any, using: str) -> set[Any]:
    """The keys of the rows of ``model`` whose ``fields`` hold one of ``values``."""
    return {row[0] for row in rows_where(model, fields, values, ["pk"], using)}
