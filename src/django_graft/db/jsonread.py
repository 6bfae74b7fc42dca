"""Read JSON columns with orjson, where it reads them exactly as Django's ``JSONField`` does.

Django decodes every value of a ``JSONField`` with the standard library's
``json.loads``, which costs several times what orjson does; a walk that
follows keys inside JSON (dynamic edges) and an export read every value.
orjson gives the same values for the same text, except that it refuses what
the standard library takes (``NaN``, ``Infinity``, lone surrogates, numbers
out of a double's range; those go to Django's converter) and reads an
integer beyond 64 bits as a float: text holding a run of 19 digits or more
goes to Django's converter too. Fields with a decoder of their own, or a
``from_db_value`` other than ``JSONField``'s, are left to Django.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.db.models import JSONField

orjson: Any
try:  # pragma: no cover - exercised by whichever is installed
    import orjson
except ImportError:  # pragma: no cover
    orjson = None

#: Where orjson and ``json.loads`` could read a number differently.
_LONG_NUMBER = re.compile(r"\d{19}")


def json_converter(
    converters: list[Any], expression: Any, fallback: Callable[[Any], Any]
) -> Callable[[Any], Any] | None:
    """A faster converter for a plain ``JSONField`` column; None for any other column."""
    field = getattr(expression, "output_field", None)
    if (
        orjson is None
        or not isinstance(field, JSONField)
        or field.decoder is not None
        or type(field).from_db_value is not JSONField.from_db_value
        or len(converters) != 1
        or getattr(converters[0], "__func__", None) is not JSONField.from_db_value
    ):
        return None
    loads, error, long_number = orjson.loads, orjson.JSONDecodeError, _LONG_NUMBER.search

    def convert(value: Any) -> Any:
        if type(value) is str and long_number(value) is None:
            try:
                return loads(value)
            except error:
                pass
        return fallback(value)

    return convert
