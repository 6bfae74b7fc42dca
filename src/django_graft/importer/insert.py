"""Multi-row INSERT statements for one model's table, without the ORM's per-value work.

``bulk_create`` and ``QuerySet._insert`` compile every value through the
insert compiler (placeholders, expression checks, per-backend hooks), which
costs several times more than the database spends on the rows. The
statement here is the one that compiler writes for plain fields: a column
list, one ``(%s, ...)`` group per row and, where new keys are wanted,
``RETURNING`` the primary key; each value still goes through its field's
``get_db_prep_save``, so adapters (JSON, UUID, dates) are Django's own.
Fields that need a custom placeholder (``get_placeholder``, as some
third-party fields have), rows with no column to write and backends other
than SQLite, PostgreSQL and MySQL/MariaDB make :func:`statement_for` return
``None``, and the caller uses Django's compiler instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model


class InsertStatement:
    def __init__(
        self,
        model: type[Model],
        fields: Sequence[Any],
        connection: BaseDatabaseWrapper,
        *,
        returning: bool,
    ) -> None:
        quote = connection.ops.quote_name
        table = quote(model._meta.db_table)
        columns = ", ".join(quote(f.column) for f in fields)
        self.connection = connection
        self.head = f"INSERT INTO {table} ({columns}) VALUES "
        self.group = "(" + ", ".join(["%s"] * len(fields)) + ")"
        pk: Any = model._meta.pk
        self.tail = f" RETURNING {table}.{quote(pk.column)}" if returning else ""
        self.returning = returning
        self.prepare = [(f.attname, _ready_types(f), f.get_db_prep_save) for f in fields]

    def execute(self, rows: Sequence[dict[str, Any]]) -> list[Any]:
        """Insert ``rows``; return the new keys when the statement returns them."""
        connection = self.connection
        params = [
            value if type(value) in ready else prepare(value, connection)
            for values in rows
            for attname, ready, prepare in self.prepare
            for value in (values[attname],)
        ]
        sql = self.head + ", ".join([self.group] * len(rows)) + self.tail
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            if self.returning:
                return [row[0] for row in cursor.fetchall()]
        return []


_INTS: frozenset[type] = frozenset({int, type(None)})
_STRS: frozenset[type] = frozenset({str, type(None)})

#: Django's own field classes whose preparation returns a value of these
#: Python types unchanged, so it is skipped for them. Subclasses are not
#: listed on purpose: they may prepare values their own way.
_READY: dict[type, frozenset[type]] = {
    **dict.fromkeys(
        (
            models.AutoField,
            models.BigAutoField,
            models.SmallAutoField,
            models.IntegerField,
            models.BigIntegerField,
            models.SmallIntegerField,
            models.PositiveIntegerField,
            models.PositiveBigIntegerField,
            models.PositiveSmallIntegerField,
        ),
        _INTS,
    ),
    models.CharField: _STRS,
    models.TextField: _STRS,
    models.SlugField: _STRS,
    models.BooleanField: frozenset({bool, type(None)}),
    models.FloatField: frozenset({float, type(None)}),
}


def _ready_types(field: Any) -> frozenset[type]:
    """The value types ``field`` writes as they are (a plain foreign key: its target's)."""
    while type(field) in (models.ForeignKey, models.OneToOneField):
        field = field.target_field
    return _READY.get(type(field), frozenset())


def statement_for(
    model: type[Model], fields: Sequence[Any], connection: BaseDatabaseWrapper, *, returning: bool
) -> InsertStatement | None:
    """An :class:`InsertStatement`, or ``None`` when a field needs Django's compiler."""
    if not fields or any(hasattr(f, "get_placeholder") for f in fields):
        return None  # a table of nothing but its key takes each backend's own syntax
    if connection.vendor not in ("sqlite", "postgresql", "mysql"):
        return None  # other backends write multi-row inserts their own way
    return InsertStatement(model, fields, connection, returning=returning)
