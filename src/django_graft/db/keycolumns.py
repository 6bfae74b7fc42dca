"""Whether a model's keys can go into a temporary table, and in what column type.

:mod:`.keytables` keeps large key sets in temporary tables; these are the
questions asked before the first one is made: whether the model's key
fits one column of a type the table can hold (a composite key does not),
and whether the connection's transaction may create a table at all.
"""

from __future__ import annotations

from typing import Any

from django.db import connections
from django.db.models import Model

from django_graft.schema.fieldtypes import INTEGER_TYPES, stored_type

#: The backends whose temporary tables hold keys.
VENDORS = ("sqlite", "postgresql", "mysql")


def key_column_type(model: type[Model], using: str) -> str | None:
    """The column type a table of ``model``'s keys needs; ``None`` when it cannot have one.

    The type a foreign key to the model would have (an ``AutoField``'s is a
    plain integer), so the table joins with the model's table as a link does.
    Composite keys stay in Python.
    """
    connection = connections[using]
    if connection.vendor not in VENDORS:
        return None
    pk: Any = model._meta.pk
    if hasattr(pk, "fields") or not getattr(pk, "column", None):
        return None
    kind = pk.db_type(connection) if pk.is_relation else pk.rel_db_type(connection)
    if not kind:
        return None
    if connection.vendor == "sqlite" and stored_type(pk) in INTEGER_TYPES:
        # Exactly INTEGER PRIMARY KEY makes the key SQLite's row id: no index beside it.
        return "integer"
    collation = pk.db_parameters(connection).get("collation")
    if collation:  # keys equal in the default collation may differ in the key's
        name = (
            connection.ops.quote_name(collation) if connection.vendor == "postgresql" else collation
        )
        return f"{kind} COLLATE {name}"
    return str(kind)


def tables_allowed(using: str) -> bool:
    """Whether the connection's transaction may create a temporary table.

    PostgreSQL refuses any ``CREATE TABLE`` in a read-only transaction (a
    hot standby, ``default_transaction_read_only``, a caller's ``SET
    TRANSACTION READ ONLY``); MariaDB refuses to write into a temporary
    table when its session is read-only. SQLite has no such transactions.
    """
    connection = connections[using]
    asked = {"postgresql": "SHOW transaction_read_only", "mysql": "SELECT @@tx_read_only"}
    if connection.vendor not in asked:
        return True
    with connection.cursor() as cursor:
        cursor.execute(asked[connection.vendor])
        (read_only,) = cursor.fetchone()
    return str(read_only) not in ("on", "1")
