"""Read one archive value as the Python value Django writes: a field's, or a key.

The types the encoder wrote as strings (datetimes, decimals, UUIDs,
durations, binary) go through the field's own ``to_python``, exactly as
Django's deserializers do, with a fast path for ISO dates and times.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from functools import cache, lru_cache, partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import DecimalField, DurationField, Field, Model
from django.utils import timezone

from django_graft.schema.fieldtypes import INTEGER_TYPES, converts_itself, stored_type

#: Internal types whose archive value is a string to be parsed.
_PARSED = frozenset(
    {
        "DateTimeField",
        "DateField",
        "TimeField",
        "DecimalField",
        "UUIDField",
        "DurationField",
        "BinaryField",
    }
)


def value_parser(field: Field[Any, Any]) -> Callable[[Any], Any] | None:
    """Return the function that reads ``field``'s archive value, or ``None`` for as-is."""
    to_python = field.to_python
    if converts_itself(field):
        return to_python  # what its value_to_string() wrote, as Django's deserializers read it
    kind = stored_type(field)
    if kind not in _PARSED:
        return None
    if kind == "DateTimeField":
        return _iso_parser(datetime.datetime, to_python, aware=settings.USE_TZ)
    if kind == "DateField":
        return _iso_parser(datetime.date, to_python, aware=False)
    if _REPEATING.get(kind) is type(field).to_python:
        return _remembering(to_python)
    return to_python


#: Django's own ``to_python`` of fields whose values repeat (a meeting's
#: length, a price), and which reads a text to the same immutable value
#: each time: a text read once is not parsed again. A duration takes
#: Django several microseconds, its regular expressions tried in turn.
_REPEATING: dict[str, Any] = {
    "DurationField": DurationField.to_python,
    "DecimalField": DecimalField.to_python,
}


def _remembering(to_python: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``to_python``, remembering what it read from the last few thousand texts.

    Only texts: numbers that compare equal may read differently (``-0.0``
    and ``0.0`` are two decimals). What it refuses is refused each time.
    """
    remembered = lru_cache(maxsize=4_096)(to_python)

    def parse(value: Any) -> Any:
        return remembered(value) if type(value) is str else to_python(value)

    return parse


def _iso_parser(
    kind: type[datetime.date], to_python: Callable[[Any], Any], *, aware: bool
) -> Callable[[Any], Any]:
    """Parse the ISO text the archive holds with the C parser, else as Django does.

    The fast path takes only what it reads exactly as ``to_python`` would
    (ISO text, with an offset where times are aware); anything else, errors
    included, is the field's own business.
    """
    fromisoformat = kind.fromisoformat
    slow = partial(_aware, to_python) if aware else to_python

    def parse(value: Any) -> Any:
        if type(value) is str:
            try:
                parsed = fromisoformat(value)
            except ValueError:
                return slow(value)
            if getattr(parsed, "tzinfo", None) is not None or not aware:
                return parsed
        return slow(value)

    return parse


def _aware(to_python: Callable[[Any], Any], value: Any) -> Any:
    return as_aware(to_python(value))


def as_aware(value: Any) -> Any:
    """A naive datetime read where times are aware, in the default time zone.

    What Django itself does with one (a date, or a time without an offset)
    when it saves it, minus the warning it gives per row.
    """
    if isinstance(value, datetime.datetime) and value.tzinfo is None:
        return timezone.make_aware(value, timezone.get_default_timezone())
    return value


@cache
def key_decoder(model: type[Model]) -> Callable[[Any], Any]:
    """:func:`decode_pk` for ``model``, with a shortcut for the common integer key."""
    pk: Any = model._meta.pk
    if not hasattr(pk, "fields") and stored_type(pk) in INTEGER_TYPES:

        def decode_int(value: Any) -> Any:
            return value if type(value) is int else decode_pk(model, value)

        return decode_int
    return partial(decode_pk, model)


def decode_pk(model: type[Model], value: Any) -> Any:
    """Read a primary key from the archive: a tuple for a composite key."""
    pk: Any = model._meta.pk
    parts = getattr(pk, "fields", None)
    if parts:
        if not isinstance(value, list) or len(value) != len(parts):
            raise ValueError(f"expected a list of {len(parts)} values")
        return tuple(_decode_scalar(part, item) for part, item in zip(parts, value, strict=True))
    if value is None or isinstance(value, list | dict):
        raise ValueError("expected a single value")
    return _decode_scalar(pk, value)


def _decode_scalar(field: Any, value: Any) -> Any:
    try:
        return field.to_python(value)
    except ValidationError as exc:
        raise ValueError("; ".join(exc.messages)) from None
