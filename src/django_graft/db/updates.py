"""Overwrite many rows, each with values of its own.

``QuerySet.bulk_update()`` builds one ``CASE WHEN`` expression per column
over every row of a batch, which costs time in Python that grows with rows
times columns (a quarter of a second for a hundred rows of ten columns).
:func:`update_rows` sends one plain ``UPDATE ... WHERE key = %s``, given to
the driver once with every row's parameters (``executemany`` on Django's
cursor, so ``execute_wrappers`` and the ``django.db.backends`` logger see
it as one statement). :func:`set_column`, for one column of many rows (the
links an import fills in last), picks per database what costs least.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connections
from django.db.models import Model

from django_graft.db.batching import chunked, key_batch_size


def update_rows(
    model: type[Model],
    fields: Sequence[Any],
    rows: Sequence[tuple[Any, dict[str, Any]]],
    using: str,
) -> int:
    """Set ``fields`` of the rows at each ``(key, {attname: value})``; return the rows matched.

    The model's key must be one column. Values are prepared as Django
    prepares them for a save.
    """
    if not rows or not fields:
        return 0
    connection = connections[using]
    quote = connection.ops.quote_name
    pk: Any = model._meta.pk
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    sql = f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {quote(pk.column)} = %s"
    params = [
        [f.get_db_prep_save(values[f.attname], connection) for f in fields]
        + [pk.get_db_prep_value(key, connection)]
        for key, values in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
        # Summed over the rows by every driver; MariaDB counts matched rows
        # (Django connects with CLIENT.FOUND_ROWS), not changed ones.
        return int(cursor.rowcount)


def set_column(
    model: type[Model], field: Any, pairs: Sequence[tuple[Any, Any]], using: str
) -> None:
    """Give one column of many rows each its own value: ``pairs`` of ``(key, value)``.

    The fastest statement each database has for it: ``executemany`` on SQLite
    (in-process), a join with a ``VALUES`` list on PostgreSQL (both cost time
    in proportion to the rows), a ``CASE`` over batches of keys elsewhere
    (MariaDB would send ``executemany`` one statement at a time; the
    ``CASE`` costs time that grows with the square of a batch).
    """
    if not pairs:
        return
    connection = connections[using]
    if connection.vendor == "sqlite":
        update_rows(model, [field], [(key, {field.attname: value}) for key, value in pairs], using)
        return
    quote = connection.ops.quote_name
    pk: Any = model._meta.pk
    table, column, key_column = (
        quote(model._meta.db_table),
        quote(field.column),
        quote(pk.column),
    )
    prepared = [
        (pk.get_db_prep_value(key, connection), field.get_db_prep_save(value, connection))
        for key, value in pairs
    ]
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        for batch in chunked(prepared, key_batch_size(connection, 3)):
            if postgres:
                row = f"(%s::{pk.cast_db_type(connection)}, %s::{field.cast_db_type(connection)})"
                sql = (
                    f"UPDATE {table} SET {column} = v.value FROM (VALUES "
                    f"{', '.join([row] * len(batch))}) AS v(key, value) "
                    f"WHERE {table}.{key_column} = v.key"
                )
                cursor.execute(sql, [p for pair in batch for p in pair])
                continue
            whens = " ".join(["WHEN %s THEN %s"] * len(batch))
            marks = ", ".join(["%s"] * len(batch))
            sql = (
                f"UPDATE {table} SET {column} = (CASE {key_column} {whens} END) "
                f"WHERE {key_column} IN ({marks})"
            )
            cursor.execute(sql, [p for pair in batch for p in pair] + [k for k, _ in batch])
