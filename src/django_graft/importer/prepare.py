"""Turn decoded values into the parameters a database takes, skipping work Django would undo.

Each value of an import would normally go through its field's
``get_db_prep_save``: type checks, timezone checks, the backend's adapter.
For the field classes Django ships and the values an archive decodes to,
most of that returns the value unchanged (an ``int`` for an integer column,
an aware ``datetime`` on PostgreSQL) or does one small, known thing (SQLite
stores an aware datetime as its UTC text). :func:`preparer` returns a
function that does just that for those values and hands anything else to
the field's own ``get_db_prep_save``, so the result is always Django's.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

from django_graft.archive.jsonenc import orjson
from django_graft.schema.fieldtypes import column_field

#: Prepare one value for the database.
Preparer = Callable[[Any], Any]

_NONE = type(None)

#: Django's own field classes whose preparation returns a value of these
#: Python types unchanged. Subclasses are not listed on purpose: they may
#: prepare values their own way.
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
        frozenset({int, _NONE}),
    ),
    **dict.fromkeys(
        (models.CharField, models.TextField, models.SlugField), frozenset({str, _NONE})
    ),
    models.BooleanField: frozenset({bool, _NONE}),
    models.FloatField: frozenset({float, _NONE}),
}


def preparer(field: Any, connection: BaseDatabaseWrapper) -> tuple[frozenset[type], Preparer]:
    """``(types written as they are, function for every other value)`` for ``field``.

    The types let the caller skip the call for the common case; the
    function is still Django's answer for any value.
    """
    django_prepare = field.get_db_prep_save

    def prepare(value: Any) -> Any:
        return django_prepare(value, connection)

    kind = type(column_field(field))
    ready = _READY.get(kind, frozenset())
    if kind is models.DateTimeField:
        return frozenset({_NONE}), _datetime_preparer(connection, prepare)
    if kind is models.DateField:
        return _date_preparer(connection, prepare)
    return ready, prepare


def _datetime_preparer(connection: BaseDatabaseWrapper, prepare: Preparer) -> Preparer:
    if not settings.USE_TZ:
        return prepare
    if connection.vendor == "postgresql":

        def aware_as_is(value: Any) -> Any:
            if type(value) is datetime.datetime and value.tzinfo is not None:
                return value
            return prepare(value)

        return aware_as_is
    if connection.vendor == "sqlite" and connection.timezone_name == "UTC":

        def utc_text(value: Any) -> Any:
            # What Django's SQLite adapter writes: the UTC time as naive text.
            if type(value) is datetime.datetime:
                offset = value.utcoffset()
                if offset is not None:
                    return str((value - offset if offset else value).replace(tzinfo=None))
            return prepare(value)

        return utc_text
    return prepare


def _date_preparer(
    connection: BaseDatabaseWrapper, prepare: Preparer
) -> tuple[frozenset[type], Preparer]:
    if connection.vendor == "postgresql":
        return frozenset({datetime.date, _NONE}), prepare
    if connection.vendor == "sqlite":

        def iso_text(value: Any) -> Any:
            return value.isoformat() if type(value) is datetime.date else prepare(value)

        return frozenset({_NONE}), iso_text
    return frozenset(), prepare


def copy_preparer(
    field: Any, prepared: tuple[frozenset[type], Preparer]
) -> tuple[frozenset[type], Preparer]:
    """``prepared`` (see :func:`preparer`), for a ``COPY`` on PostgreSQL.

    An object or a list of Django's own JSON field, without an encoder of
    the project's, goes as JSON text, which ``COPY`` takes as ``jsonb``
    does: the value Django would write, without the standard library's
    encoder (about 4 s of an import of ten million rows, some with JSON).
    Anything orjson does not write (an integer past 64 bits, a string that
    is not Unicode) is Django's to prepare. Only for values an archive
    alone gives, which are JSON's own types: orjson writes NaN as null and
    a date or a UUID as a string, where Django refuses them.
    """
    ready, prepare = prepared
    if orjson is None or type(field) is not models.JSONField or field.encoder is not None:
        return prepared
    dumps, refused = orjson.dumps, (TypeError, orjson.JSONEncodeError)

    def json_text(value: Any) -> Any:
        if type(value) in (dict, list):
            try:
                return dumps(value).decode()
            except refused:
                pass
        return prepare(value)

    return ready, json_text
