"""Turn archive values back into the Python values Django writes.

The archive holds JSON: numbers, strings, booleans, lists and objects.
Most columns take those as they are; the types the encoder wrote as strings
(datetimes, decimals, UUIDs, durations, binary) go through the field's own
``to_python``, exactly as Django's deserializers do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Field, Model

from django_graft.archive.schema import stored_fields
from django_graft.exceptions import ArchiveFormatError
from django_graft.fieldtypes import stored_type

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
    if stored_type(field) not in _PARSED:
        return None
    to_python = field.to_python

    def parse(value: Any) -> Any:
        return None if value is None else to_python(value)

    return parse


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


class RowDecoder:
    """Decode the ``fields`` of one model's records into ``{attname: value}``.

    Fields the archive lacks take the model's default; fields the model
    lacks are ignored (the schema check has already decided whether that
    is allowed).
    """

    def __init__(self, model: type[Model], archive_fields: set[str] | None) -> None:
        self.model = model
        self.label = model._meta.label_lower
        composite = hasattr(model._meta.pk, "fields")
        fields = [f for f in stored_fields(model) if composite or not f.primary_key]
        present = [f for f in fields if archive_fields is None or f.name in archive_fields]
        self.columns: list[tuple[str, str, Callable[[Any], Any] | None]] = [
            (f.name, f.attname, value_parser(f)) for f in present
        ]
        self.defaults = {f.attname: f for f in fields if f not in present}

    def decode(self, record: dict[str, Any]) -> dict[str, Any]:
        fields = record["fields"]
        values: dict[str, Any] = {}
        for name, attname, parse in self.columns:
            if name not in fields:
                raise ArchiveFormatError(
                    f"{self.label} {record.get('pk')!r} has no value for field '{name}', "
                    "which other records of the model have."
                )
            value = fields[name]
            if parse is not None and value is not None:
                try:
                    value = parse(value)
                except (ValidationError, TypeError, ValueError) as exc:
                    raise ArchiveFormatError(
                        f"{self.label} {record.get('pk')!r}: {value!r} is not a valid value "
                        f"for field '{name}' ({_reason(exc)})."
                    ) from None
            values[attname] = value
        for attname, field in self.defaults.items():
            values[attname] = field.get_default()
        return values


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)
    return str(exc)
