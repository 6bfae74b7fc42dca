"""Turn archive values back into the Python values Django writes.

The archive holds JSON: numbers, strings, booleans, lists and objects.
Most columns take those as they are; the types the encoder wrote as strings
go through the field's own ``to_python`` (:mod:`.scalars`). Here, a model's
records are decoded column by column and checked as the database would
check them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from itertools import islice
from operator import itemgetter
from typing import Any

from django.core.exceptions import SuspiciousFileOperation, ValidationError
from django.core.files.utils import validate_file_name
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import JSONField, Model

from django_graft.archive.limits import check_depth, nests_within
from django_graft.archive.schema import written_fields
from django_graft.conf import graft_settings
from django_graft.exceptions import ArchiveFormatError
from django_graft.importer.scalars import value_parser
from django_graft.importer.values import ColumnCheck, column_check, shorten
from django_graft.schema.fieldtypes import (
    CONTAINER_TYPES,
    INTEGER_TYPES,
    TEXT_TYPES,
    stored_type,
)

_NONE = type(None)
_STRING_TYPES = TEXT_TYPES


#: The JSON values that are not lists or objects.
_SCALAR_TYPES: frozenset[type] = frozenset({str, int, float, bool, _NONE})

#: Internal types whose value is a file name in a storage.
_FILE_TYPES = frozenset({"FileField", "ImageField"})


def _json_types(kind: str) -> frozenset[type] | None:
    """The JSON value types a column of internal type ``kind`` takes as is; None: any."""
    if kind in INTEGER_TYPES:
        return frozenset({int, _NONE})
    if kind in _STRING_TYPES:
        return frozenset({str, _NONE})
    if kind in ("BooleanField", "NullBooleanField"):
        return frozenset({bool, _NONE})
    if kind == "FloatField":
        return frozenset({int, float, _NONE})
    if kind in CONTAINER_TYPES:
        return None
    return _SCALAR_TYPES


def _parsed_input_types(kind: str) -> frozenset[type]:
    """The JSON value types a parsed column of internal type ``kind`` may hold.

    What the encoder wrote is text (or a number); a list or an object would
    reach the database as it is where ``to_python`` lets it through, as a
    ``BinaryField``'s does with anything but text.
    """
    return frozenset({str, _NONE}) if kind == "BinaryField" else _SCALAR_TYPES


#: The range of a 64-bit integer column, the widest a database has.
_INT_RANGE = (-(2**63), 2**63 - 1)
#: Primary keys checked at once (:meth:`RowDecoder.check_keys`).
_KEYS_CHECKED = 10_000


class RowDecoder:
    """Decode the ``fields`` of one model's records into ``{attname: value}``.

    Fields the archive lacks take the model's default; fields the model
    lacks are ignored (the schema check has already decided whether that
    is allowed). Columns the database computes (``GeneratedField``) are never
    written, so never decoded.
    """

    def __init__(
        self, model: type[Model], archive_fields: set[str] | None, using: str = DEFAULT_DB_ALIAS
    ) -> None:
        self.model = model
        self.label = model._meta.label_lower
        composite = hasattr(model._meta.pk, "fields")
        fields = [f for f in written_fields(model) if composite or not f.primary_key]
        present = [f for f in fields if archive_fields is None or f.name in archive_fields]
        self.names = [f.name for f in present]
        self.attnames = [f.attname for f in present]
        self.parsers = [
            (f.name, f.attname, parse)
            for f in present
            for parse in (value_parser(f),)
            if parse is not None
        ]
        self.defaults = {f.attname: f for f in fields if f not in present}
        self._json = {f.attname for f in present if type(f) is JSONField}
        parsed = {attname for _, attname, _ in self.parsers}
        self.parsed_input = [
            (f.name, f.attname, _parsed_input_types(stored_type(f)), False)
            for f in present
            if f.attname in parsed
        ]
        # Columns taken as they are must hold values of the column's JSON
        # type: anything else is a damaged archive, not a value for the
        # database to choke on.
        self.nested = [
            (f.name, f.attname)
            for f in present
            if f.attname not in parsed and stored_type(f) in CONTAINER_TYPES
        ]
        self.checked = [
            (f.name, f.attname, allowed, stored_type(f) in INTEGER_TYPES)
            for f in present
            if f.attname not in parsed
            for allowed in (_json_types(stored_type(f)),)
            if allowed is not None
        ]
        self.files = [(f.name, f.attname) for f in present if stored_type(f) in _FILE_TYPES]
        # Values the database would refuse, or store so that Django cannot
        # read them back: checked here, alike on every database.
        connection = connections[using]
        vendor, ops = connection.vendor, connection.ops
        self.limits: list[tuple[str, str, ColumnCheck]] = [
            (f.name, f.attname, check)
            for f in present
            for check in (column_check(f, vendor, ops),)
            if check is not None
        ]
        pk: Any = model._meta.pk
        self.key_check = None if composite else column_check(pk, vendor, ops)
        pick = itemgetter(*self.names) if self.names else None
        if pick is None:
            self._pick: Callable[[dict[str, Any]], Any] = lambda values: ()
        elif len(self.names) == 1:
            self._pick = lambda values: (pick(values),)
        else:
            self._pick = pick

    def archived_json(self) -> set[str]:
        """The attnames of Django's own JSON fields whose values the archive gives."""
        return set(self._json)

    def calls_defaults(self) -> bool:
        """Whether a field the archive leaves out takes a default from a function."""
        return any(callable(field.default) for field in self.defaults.values())

    def decode(self, record: dict[str, Any]) -> dict[str, Any]:
        """One record's values, ``{attname: value}``."""
        return rows_of(self.decode_columns([record]), 1)[0]

    def decode_columns(self, records: Sequence[dict[str, Any]]) -> Columns:
        """The records' values column by column, parsed, defaults filled in."""
        try:
            picked = [self._pick(record["fields"]) for record in records]
        except KeyError:
            raise self._missing_value(records) from None
        columns: Columns = {attname: [] for attname in self.attnames}
        # No rows: the empty columns above stay.
        columns.update(zip(self.attnames, map(list, zip(*picked, strict=True)), strict=False))
        self._check_types(records, columns, self.parsed_input)
        for name, attname, parse in self.parsers:
            column = columns[attname]
            try:
                columns[attname] = [None if value is None else parse(value) for value in column]
            except (ValidationError, TypeError, ValueError):
                raise self._bad_value(records, name, column, parse) from None
        for name, attname in self.nested:
            if nests_within(columns[attname], graft_settings.MAX_DEPTH):
                continue
            for record, value in zip(records, columns[attname], strict=True):
                check_depth(value, f"{self.label} {record.get('pk')!r}, field '{name}'")
        self._check_types(records, columns, self.checked)
        for name, attname in self.files:
            self._check_file_names(records, name, columns[attname])
        for name, attname, check in self.limits:
            beyond = check(columns[attname])
            if beyond is not None:
                index, limit = beyond
                key, value = records[index].get("pk"), columns[attname][index]
                raise self._unstorable(key, name, value, limit)
        for attname, field in self.defaults.items():
            columns[attname] = [field.get_default() for _ in records]
        return columns

    def _check_types(
        self,
        records: Sequence[dict[str, Any]],
        columns: Columns,
        checks: list[tuple[str, str, frozenset[type], bool]],
    ) -> None:
        """Refuse a column holding a JSON type its field does not take."""
        for name, attname, allowed, integer in checks:
            column = columns[attname]
            kinds = set(map(type, column))
            if not allowed.issuperset(kinds) or (integer and _out_of_range(column, kinds)):
                raise self._wrong_type(records, name, column, allowed)

    def check_keys(self, keys: Collection[Any]) -> None:
        """Refuse primary keys the key column cannot store (kept ones are written as they are)."""
        if self.key_check is None or not keys:
            return
        # A chunk at a time: a list of ten million keys would cost 360 MB.
        remaining = iter(keys)
        while column := list(islice(remaining, _KEYS_CHECKED)):
            beyond = self.key_check(column)
            if beyond is not None:
                index, limit = beyond
                pk: Any = self.model._meta.pk
                raise self._unstorable(column[index], pk.name, column[index], limit)

    def _unstorable(self, key: Any, name: str, value: Any, limit: str) -> ArchiveFormatError:
        size = f" ({len(value)} characters)" if isinstance(value, str) else ""
        return ArchiveFormatError(
            f"{self.label} {shorten(key)}: field '{name}' holds {shorten(value)}{size}, which "
            f"the field cannot store: it takes {limit}. Nothing was written. Correct the "
            "value in the archive."
        )

    def _check_file_names(
        self, records: Sequence[dict[str, Any]], name: str, column: list[Any]
    ) -> None:
        """Refuse file names that would leave the storage's directory.

        Django's storages refuse to open such a name later; an import refuses
        to store one at all, so a crafted archive cannot plant it.
        """
        for record, value in zip(records, column, strict=True):
            if not value:
                continue
            if "\x00" in value:
                raise ArchiveFormatError(
                    f"{self.label} {record.get('pk')!r}: field '{name}' names the file "
                    f"{shorten(value)}, which holds a NUL character no storage accepts. "
                    "Nothing was written. Correct the value in the archive."
                )
            try:
                validate_file_name(value, allow_relative_path=True)
            except SuspiciousFileOperation:
                raise ArchiveFormatError(
                    f"{self.label} {record.get('pk')!r}: field '{name}' names the file "
                    f"{value!r}, which leaves the storage's directory (an absolute path or "
                    "'..'). The archive was made to escape it: fix or drop that value."
                ) from None

    def _wrong_type(
        self,
        records: Sequence[dict[str, Any]],
        name: str,
        column: list[Any],
        allowed: frozenset[type],
    ) -> ArchiveFormatError:
        expected = " or ".join(sorted(t.__name__ for t in allowed if t is not _NONE))
        for record, value in zip(records, column, strict=True):
            if type(value) not in allowed or (type(value) is int and _out_of_range([value], {int})):
                return ArchiveFormatError(
                    f"{self.label} {record.get('pk')!r}: {value!r} is not a valid value "
                    f"for field '{name}' (expected {expected}, within a 64-bit range for "
                    "integers)."
                )
        raise AssertionError("no wrong value in the column")  # pragma: no cover

    def _missing_value(self, records: Sequence[dict[str, Any]]) -> ArchiveFormatError:
        for record in records:
            for name in self.names:
                if name not in record["fields"]:
                    return ArchiveFormatError(
                        f"{self.label} {record.get('pk')!r} has no value for field '{name}', "
                        "which other records of the model have."
                    )
        raise AssertionError("a value was missing")  # pragma: no cover

    def _bad_value(
        self,
        records: Sequence[dict[str, Any]],
        name: str,
        column: list[Any],
        parse: Callable[[Any], Any],
    ) -> ArchiveFormatError:
        for record, value in zip(records, column, strict=True):
            try:
                if value is not None:
                    parse(value)
            except (ValidationError, TypeError, ValueError) as exc:
                return ArchiveFormatError(
                    f"{self.label} {record.get('pk')!r}: {value!r} is not a valid value "
                    f"for field '{name}' ({reason(exc)})."
                )
        raise AssertionError("a value failed to parse")  # pragma: no cover


#: Rows of one model column by column: ``{attname: [value, ...]}``, all one length.
Columns = dict[str, list[Any]]


def rows_of(columns: Columns, count: int) -> list[dict[str, Any]]:
    """The ``count`` rows of ``columns`` as ``{attname: value}`` dicts."""
    if not columns:
        return [{} for _ in range(count)]
    names = list(columns)
    return [dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)]


def apply_overrides(columns: Columns, overrides: dict[str, Any], count: int) -> None:
    """Give the rows the policy's values: a constant, or a function of the row."""
    rows = rows_of(columns, count) if any(callable(v) for v in overrides.values()) else []
    for attname, value in overrides.items():
        columns[attname] = [value(row) for row in rows] if callable(value) else [value] * count


def columns_of(rows: Sequence[dict[str, Any]], attnames: Sequence[str]) -> Columns:
    """``rows`` back in columns (after a hook may have changed them)."""
    return {attname: [row[attname] for row in rows] for attname in attnames}


def reason(exc: Exception) -> str:
    """An exception's message, a ``ValidationError``'s without its list brackets."""
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)
    return str(exc)


def _out_of_range(column: list[Any], kinds: set[type]) -> bool:
    """Whether an integer of ``column`` (whose value types are ``kinds``) exceeds 64 bits."""
    if int not in kinds:
        return False
    numbers = column if kinds == {int} else [v for v in column if type(v) is int]
    low, high = _INT_RANGE
    return min(numbers) < low or max(numbers) > high
