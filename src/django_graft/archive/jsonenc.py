"""Compact, lossless JSON encoding of database values, fast when orjson is there.

Values arrive straight from ``values_list()``, already converted by each
field's ``from_db_value``. JSON-native types pass through; the rest become
strings that each field's ``to_python`` reads back exactly:

=================  ==========================================
datetime           ISO 8601 with microseconds and offset
date, time         ISO 8601
Decimal            its exact string (no float round trip)
UUID               canonical hyphenated string
timedelta          ISO 8601 duration (``P1DT02H03M04.000005S``)
bytes/memoryview   base64, as Django's serializers write binary
=================  ==========================================
"""

from __future__ import annotations

import base64
import datetime
import decimal
import functools
import json
import uuid
from collections.abc import Callable
from typing import Any

from django.utils.duration import duration_iso_string

orjson: Any
try:  # pragma: no cover - exercised by whichever is installed
    import orjson
except ImportError:  # pragma: no cover
    orjson = None


def _default(value: Any) -> Any:
    """Encode what JSON has no type for; orjson calls this only for those."""
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    return _default_other(value)


def _default_naive_utc(value: Any) -> Any:
    """As :func:`_default`, writing naive datetimes as UTC."""
    if isinstance(value, datetime.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=datetime.timezone.utc).isoformat()
    return _default(value)


def _default_other(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime.timedelta):
        return duration_iso_string(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"Object of type {type(value).__name__} cannot be written to an archive")


def _dumps_stdlib(value: Any, default: Callable[[Any], Any] = _default) -> bytes:
    return json.dumps(
        value, default=default, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


def _dumps_orjson(value: Any) -> bytes:
    encoded: bytes = orjson.dumps(value, default=_default)
    return encoded


#: Serialize one value to UTF-8 JSON bytes, without a trailing newline.
dumps: Callable[[Any], bytes] = _dumps_orjson if orjson is not None else _dumps_stdlib


def utc_dumps() -> Callable[[Any], bytes]:
    """Return a ``dumps`` that writes naive datetimes as UTC (``+00:00``)."""
    if orjson is not None:
        return functools.partial(orjson.dumps, default=_default, option=orjson.OPT_NAIVE_UTC)
    return functools.partial(_dumps_stdlib, default=_default_naive_utc)


#: Parse JSON produced by ``dumps`` (raises ``ValueError`` on bad input).
loads: Callable[[bytes | str], Any] = orjson.loads if orjson is not None else json.loads


def canonical(value: Any) -> bytes:
    """Serialize with sorted keys, for hashing (same output with or without orjson)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
