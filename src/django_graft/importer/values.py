"""Check decoded values against their fields, as the database would store them.

Databases differ in what they refuse: SQLite stores any integer in any
integer column, text longer than its ``max_length`` and a decimal with more
digits than its field allows (which Django then cannot read back), where
PostgreSQL and MariaDB refuse the statement. An import refuses every such
value itself, on every database alike, before anything is written, naming
the row, the field, the value and the limit.

The checks run on the import's hot path: each field gets one checker, made
once per model, that looks at a whole column with C-level operations where
it can (``min``, ``max``, ``len``); fields with nothing to check get none.
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Callable, Sequence
from typing import Any

from django.db.models import Field

from django_graft.db.integers import integer_range
from django_graft.schema.fieldtypes import INTEGER_TYPES, TEXT_TYPES, stored_type

#: A column checker: the index of the first value the field cannot store and
#: what limit it breaks, or None when every value fits.
ColumnCheck = Callable[[Sequence[Any]], tuple[int, str] | None]

#: Durations the databases without an interval type keep as a 64-bit count of
#: microseconds; PostgreSQL's interval reaches further, but an archive must
#: import into every database alike.
_LONGEST = datetime.timedelta(microseconds=2**63 - 1)
_SHORTEST = -_LONGEST

#: Text columns whose ``max_length`` the database enforces (SQLite: none,
#: refused everywhere for consistency). A ``TextField``'s is only for forms.
_BOUNDED_TEXT = TEXT_TYPES - {"TextField"}


def _first(column: Sequence[Any], wrong: Callable[[Any], bool]) -> int:
    return next(i for i, value in enumerate(column) if value is not None and wrong(value))


def _extremes(column: Sequence[Any], kind: type) -> tuple[Any, Any] | None:
    """The smallest and largest values of ``kind`` in ``column``; None when it has none."""
    try:
        low, high = min(column), max(column)  # the common case: a column without None
        if isinstance(low, kind) and isinstance(high, kind):
            return low, high
    except (TypeError, ValueError):
        pass
    values: list[Any] = [v for v in column if isinstance(v, kind)]
    return (min(values), max(values)) if values else None


def _integers(low: int, high: int) -> ColumnCheck:
    def check(column: Sequence[Any]) -> tuple[int, str] | None:
        extremes = _extremes(column, int)
        if extremes is None or (low <= extremes[0] and extremes[1] <= high):
            return None
        return _first(column, lambda v: type(v) is int and not low <= v <= high), (
            f"integers from {low} to {high}"
        )

    return check


def _text(longest: int) -> ColumnCheck:
    def check(column: Sequence[Any]) -> tuple[int, str] | None:
        try:
            if max(map(len, column), default=0) <= longest:
                return None
        except TypeError:  # None among them
            if max((len(v) for v in column if type(v) is str), default=0) <= longest:
                return None
        return _first(column, lambda v: type(v) is str and len(v) > longest), (
            f"at most {longest} characters (max_length)"
        )

    return check


#: The significant digits SQLite keeps of a decimal, which it stores as a
#: floating point number: more would be rounded on the way in, and Django
#: could then fail to read the row back (a rounded value may not fit the field).
SQLITE_DIGITS = 15


def _decimals(digits: int | None, places: int | None, vendor: str) -> ColumnCheck:
    """Decimals that fit ``max_digits`` and ``decimal_places`` without rounding.

    A value with more decimal places than the field has would be rounded on
    the way in; one with more whole digits overflows the column; on SQLite,
    one with more than 15 significant digits would be rounded too.
    """
    step = None if places is None else decimal.Decimal(1).scaleb(-places)
    whole = None if digits is None else digits - (places or 0)
    limit = None if whole is None else decimal.Decimal(10) ** whole
    context = decimal.Context(prec=max(digits or 0, 28) + 2, traps=[decimal.InvalidOperation])
    sqlite = vendor == "sqlite"
    wanted = (
        "at most "
        + " and ".join(
            part
            for part in (
                None if whole is None else f"{whole} digit(s) before the point",
                None if places is None else f"{places} after it",
            )
            if part
        )
        + f" (max_digits={digits}, decimal_places={places})"
        + (f", and {SQLITE_DIGITS} significant digits on SQLite" if sqlite else "")
    )

    def fits(value: Any) -> bool:
        if not isinstance(value, decimal.Decimal):
            return True
        if not value.is_finite():
            return False
        try:
            rounded = value if step is None else value.quantize(step, context=context)
        except decimal.InvalidOperation:
            return False
        if rounded != value or (limit is not None and rounded.copy_abs() >= limit):
            return False
        return (
            not sqlite
            or len("".join(map(str, value.as_tuple().digits)).strip("0")) <= SQLITE_DIGITS
        )

    def check(column: Sequence[Any]) -> tuple[int, str] | None:
        if all(map(fits, column)):
            return None
        return _first(column, lambda v: not fits(v)), wanted

    return check


def _durations(column: Sequence[Any]) -> tuple[int, str] | None:
    extremes = _extremes(column, datetime.timedelta)
    if extremes is None or (extremes[0] >= _SHORTEST and extremes[1] <= _LONGEST):
        return None
    index = _first(
        column, lambda v: isinstance(v, datetime.timedelta) and not _SHORTEST <= v <= _LONGEST
    )
    return index, f"durations within ±{_LONGEST.days:,} days (a 64-bit count of microseconds)"


def column_check(field: Field[Any, Any], vendor: str, ops: Any) -> ColumnCheck | None:
    """The checker of ``field``'s decoded values on ``vendor``'s database, if any."""
    kind = stored_type(field)
    if kind in _BOUNDED_TEXT:
        longest = getattr(field, "max_length", None)
        return None if longest is None else _text(int(longest))
    if kind == "DecimalField":
        target: Any = field
        while target.remote_field is not None and hasattr(target, "target_field"):
            target = target.target_field
        return _decimals(target.max_digits, target.decimal_places, vendor)
    if kind == "DurationField":
        return _durations
    if kind in INTEGER_TYPES:
        bounds = integer_range(kind, vendor, ops)
        return None if bounds is None else _integers(*bounds)
    return None


def shorten(value: Any, width: int = 60) -> str:
    """``repr(value)``, cut to ``width`` characters."""
    text = repr(value)
    return text if len(text) <= width else f"{text[: width - 5]}…{text[-4:]}"
