"""Read the values a clone gives its copies: ``app_label.Model.field=VALUE``.

Shared by ``graft_clone --set`` and the admin's clone form, so both read a
value as the field does and refuse the same mistakes with the same words.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError

from django_graft.exceptions import GraftError
from django_graft.schema.labels import model_label, resolve_model

#: The text that stands for NULL.
NULL = "null"


class SetFieldError(ValueError):
    """A value for ``set_fields`` that cannot be used; the message says why."""


def field_value(label: str, raw: str) -> Any:
    """The value ``raw`` for the field ``app_label.Model.field``, as the field reads it.

    ``null`` stands for NULL; a foreign key takes the key of its target.
    """
    parts = label.strip().split(".")
    if len(parts) != 3 or not all(parts):
        raise SetFieldError(
            "expected 'app_label.Model.field=VALUE', e.g. 'tenants.Organisation.name=Acme (copy)'."
        )
    try:
        model = resolve_model(".".join(parts[:2]))
        field: Any = model._meta.get_field(parts[2])
    except GraftError as exc:
        raise SetFieldError(exc.message) from None
    except FieldDoesNotExist:
        raise SetFieldError(f"{parts[1]} has no field '{parts[2]}'.") from None
    if raw == NULL:
        return None
    column = field.target_field if field.is_relation and field.concrete else field
    try:
        return column.to_python(raw)
    except ValidationError as exc:
        raise SetFieldError(
            f"{raw!r} is not a value for {model_label(model)}.{field.name} "
            f"({'; '.join(exc.messages)})."
        ) from None


def parse_assignment(text: str) -> tuple[str, Any]:
    """``app.Model.field=VALUE`` as ``(label, value)``, the value read by the field."""
    label, sep, raw = text.partition("=")
    if not sep:
        raise SetFieldError(
            "expected 'app_label.Model.field=VALUE', e.g. 'tenants.Organisation.name=Acme (copy)'."
        )
    return label.strip(), field_value(label, raw)
