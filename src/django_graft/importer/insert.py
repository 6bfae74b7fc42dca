"""Bulk writes of one model's rows, in the fastest form each backend offers.

``bulk_create`` and ``QuerySet._insert`` compile every value through the
insert compiler (placeholders, expression checks, per-backend hooks), which
costs several times more than the database spends on the rows. A
:class:`TableWriter` writes the statement that compiler would write for
plain fields, and picks how to send it:

* PostgreSQL with psycopg 3: ``COPY … FROM STDIN``. Where the database makes
  the keys, they are drawn from the column's sequence first (one query), so
  the rows go in with their keys, as the identity column allows.
* Otherwise: multi-row ``INSERT … VALUES`` in batches sized by the backend's
  parameter limit, with ``RETURNING`` the key where new keys are wanted (on
  SQLite sent to the driver directly, which is faster than ``executemany``).

Values are prepared by :mod:`.prepare`, so adapters are Django's own.
Fields that need a custom placeholder (``get_placeholder``), tables with no
column to write and backends other than SQLite, PostgreSQL and
MySQL/MariaDB make :func:`writer_for` return ``None``, and the caller uses
Django's compiler instead.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model

from django_graft.db.batching import chunked, key_batch_size
from django_graft.db.driver import can_copy, copy_rows, sqlite_execute
from django_graft.exceptions import ArchiveFormatError
from django_graft.importer.decode import Columns, reason
from django_graft.importer.prepare import copy_preparer, preparer
from django_graft.schema.fieldtypes import INTEGER_TYPES, stored_type
from django_graft.schema.labels import model_label

#: Column types PostgreSQL's COPY takes from psycopg's adapters exactly as an
#: INSERT does. Others (arrays, ranges, network addresses, third-party
#: types) go through INSERT, which is always right.
_COPY_TYPES = INTEGER_TYPES | {
    "CharField",
    "TextField",
    "SlugField",
    "BooleanField",
    "FloatField",
    "DecimalField",
    "DateField",
    "DateTimeField",
    "TimeField",
    "DurationField",
    "UUIDField",
    "JSONField",
    "BinaryField",
    "FileField",
}


class TableWriter:
    """Write rows (``{attname: value}``) of one model; return their keys."""

    def __init__(
        self,
        model: type[Model],
        fields: Sequence[Any],
        connection: BaseDatabaseWrapper,
        *,
        returning: bool,
        json_text: frozenset[str] = frozenset(),
    ) -> None:
        self.model = model
        self.fields = list(fields)
        self.connection = connection
        self.returning = returning
        self.quote = connection.ops.quote_name
        self.table = self.quote(model._meta.db_table)
        self.pk: Any = model._meta.pk
        self.prepare = [preparer(f, connection) for f in self.fields]
        self.sequence: str | None = None
        self.copy = self._can_copy()
        if self.copy:  # values straight from an archive: see copy_preparer
            self.prepare = [
                copy_preparer(field, prepared) if field.attname in json_text else prepared
                for field, prepared in zip(self.fields, self.prepare, strict=True)
            ]

    def _can_copy(self) -> bool:
        if not can_copy(self.connection) or any(
            stored_type(f) not in _COPY_TYPES for f in self.fields
        ):
            return False
        if not self.returning:
            return True
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [self.table, self.pk.column])
            self.sequence = cursor.fetchone()[0]
        return self.sequence is not None

    def write(
        self,
        columns: Columns,
        keys: Sequence[Any],
        meanwhile: Callable[[list[Any]], None] | None = None,
    ) -> list[Any]:
        """Insert the rows (archive ``keys`` name them in errors); return their keys.

        ``meanwhile`` is called with those keys: while PostgreSQL files the
        rows of a ``COPY`` (it must not use the connection then), or else
        once they are written.
        """
        params = self._params(columns, keys)
        if self.copy:
            return self._copy(params, columns, meanwhile)
        written = self._values(params, columns)
        if meanwhile is not None:
            meanwhile(written)
        return written

    # -- parameters ----------------------------------------------------------

    def _params(self, columns: Columns, keys: Sequence[Any]) -> list[tuple[Any, ...]]:
        """The rows' values, prepared for the database, column by column."""
        prepared: list[Sequence[Any]] = []
        for field, (ready, prepare) in zip(self.fields, self.prepare, strict=True):
            column = columns[field.attname]
            if not set(map(type, column)) <= ready:
                try:
                    column = [v if type(v) in ready else prepare(v) for v in column]
                except (ValidationError, TypeError, ValueError, ArithmeticError) as exc:
                    raise self._bad_value(len(prepared), column, keys, exc) from None
            prepared.append(column)
        return list(zip(*prepared, strict=True))

    def _bad_value(
        self, index: int, column: Sequence[Any], keys: Sequence[Any], exc: Exception
    ) -> ArchiveFormatError:
        """Name the first row whose value in column ``index`` cannot be prepared."""
        ready, prepare = self.prepare[index]
        key: Any = None
        value: Any = None
        for key, value in zip(keys, column, strict=True):  # noqa: B007 - used after the loop
            try:
                if type(value) not in ready:
                    prepare(value)
            except (ValidationError, TypeError, ValueError, ArithmeticError) as bad:
                exc = bad
                break
        return ArchiveFormatError(
            f"{model_label(self.model)} {key!r}: {value!r} is not a valid value for field "
            f"'{self.fields[index].name}' ({reason(exc)}). Correct the value in the archive, or "
            "export it again."
        )

    def _known_keys(self, columns: Columns) -> list[Any]:
        """The keys the rows were written with: none where the database made them, unasked."""
        parts = getattr(self.pk, "fields", None)
        if parts:
            return list(zip(*(columns[p.attname] for p in parts), strict=True))
        return list(columns.get(self.pk.attname, ()))

    # -- statements ------------------------------------------------------------

    def _sql(self, rows: int, mark: str) -> str:
        columns = ", ".join(self.quote(f.column) for f in self.fields)
        group = "(" + ", ".join([mark] * len(self.fields)) + ")"
        tail = f" RETURNING {self.table}.{self.quote(self.pk.column)}" if self.returning else ""
        return f"INSERT INTO {self.table} ({columns}) VALUES " + ", ".join([group] * rows) + tail

    def _values(self, params: list[tuple[Any, ...]], columns: Columns) -> list[Any]:
        size = key_batch_size(self.connection, len(self.fields))
        keys: list[Any] = []
        for batch in chunked(params, size):
            flat = [v for row in batch for v in row]
            if self.connection.vendor == "sqlite":
                # Straight to the driver, in its own "?" style: Django's wrapper
                # would rewrite every placeholder of this long statement first.
                sql = self._sql(len(batch), "?")
                returned = sqlite_execute(self.connection, sql, flat).fetchall()
            else:
                with self.connection.cursor() as cursor:
                    cursor.execute(self._sql(len(batch), "%s"), flat)
                    returned = cursor.fetchall() if self.returning else []
            keys.extend(row[0] for row in returned)
        return keys if self.returning else self._known_keys(columns)

    def _copy(
        self,
        params: list[tuple[Any, ...]],
        columns: Columns,
        meanwhile: Callable[[list[Any]], None] | None,
    ) -> list[Any]:
        fields = self.fields
        with self.connection.cursor() as cursor:
            if self.returning:
                keys = self._draw_keys(cursor, len(params))
                params = [(key, *row) for key, row in zip(keys, params, strict=True)]
                fields = [self.pk, *fields]
            else:
                keys = self._known_keys(columns)
            names = ", ".join(self.quote(f.column) for f in fields)
            sql = f"COPY {self.table} ({names}) FROM STDIN"
            then = None if meanwhile is None else functools.partial(meanwhile, keys)
            copy_rows(self.connection, cursor, sql, params, then)
        return keys

    def _draw_keys(self, cursor: Any, count: int) -> list[Any]:
        cursor.execute(
            "SELECT nextval(%s) FROM generate_series(1, %s) ORDER BY 1", [self.sequence, count]
        )
        return [row[0] for row in cursor.fetchall()]


def _plain_placeholder(field: Any) -> bool:
    """Whether ``field`` takes a plain ``%s`` in an INSERT.

    Django 4.2's binary field asks its backend for a placeholder, which is
    ``%s`` on every backend written to here (only Oracle differs).
    """
    if not hasattr(field, "get_placeholder"):
        return True
    binary = getattr(models.BinaryField, "get_placeholder", None)
    return binary is not None and getattr(type(field), "get_placeholder", None) is binary


def writer_for(
    model: type[Model],
    fields: Sequence[Any],
    connection: BaseDatabaseWrapper,
    *,
    returning: bool,
    json_text: frozenset[str] = frozenset(),
) -> TableWriter | None:
    """A :class:`TableWriter`, or ``None`` when a field needs Django's compiler.

    ``json_text``: the attnames of JSON fields whose values are all decoded
    from an archive, which a ``COPY`` may send as JSON text.
    """
    if not fields or not all(_plain_placeholder(f) for f in fields):
        return None  # a table of nothing but its key takes each backend's own syntax
    if connection.vendor not in ("sqlite", "postgresql", "mysql"):
        return None  # other backends write multi-row inserts their own way
    return TableWriter(model, fields, connection, returning=returning, json_text=json_text)
