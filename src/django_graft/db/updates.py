"""Overwrite many rows, each with values of its own, in one statement sent many times.

``QuerySet.bulk_update()`` builds one ``CASE WHEN`` expression per column
over every row of a batch, which costs time in Python that grows with rows
times columns (a quarter of a second for a hundred rows of ten columns).
Here the statement is one plain ``UPDATE ... WHERE key = %s``, given to the
driver once with every row's parameters (``executemany`` on Django's
cursor, so ``execute_wrappers`` and the ``django.db.backends`` logger see
it as one statement).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connections
from django.db.models import Model


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
