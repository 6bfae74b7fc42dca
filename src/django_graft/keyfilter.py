"""Filter a queryset by a list of keys without per-value preparation.

``filter(pk__in=keys)`` runs every key through the field's lookup
preparation, which costs more than the query itself on big key lists. Keys
that came out of the database as plain integers need none of it, so for
integer columns the ``IN`` list is added as SQL with the keys as
parameters. Any other key type takes Django's normal path.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar, cast

from django.db import connections
from django.db.models import Model, QuerySet

Q = TypeVar("Q", bound=QuerySet[Any, Any])

_INTEGER_TYPES = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "SmallAutoField",
        "IntegerField",
        "BigIntegerField",
        "SmallIntegerField",
        "PositiveIntegerField",
        "PositiveBigIntegerField",
        "PositiveSmallIntegerField",
    }
)


def _stored_type(field: Any) -> str:
    """The internal type of the column a (possibly foreign key) field stores."""
    while field.remote_field is not None and hasattr(field, "target_field"):
        field = field.target_field
    return str(field.get_internal_type())


def filter_in(queryset: Q, field: Any, keys: Sequence[Any]) -> Q:
    """Return ``queryset`` restricted to rows whose ``field`` is in ``keys``."""
    if (
        getattr(field, "column", None)
        and _stored_type(field) in _INTEGER_TYPES
        and all(type(key) is int for key in keys)
    ):
        model: type[Model] = queryset.model
        quote = connections[queryset.db].ops.quote_name
        column = f"{quote(model._meta.db_table)}.{quote(field.column)}"
        marks = ", ".join(["%s"] * len(keys))
        restricted: Any = queryset.extra(where=[f"{column} IN ({marks})"], params=list(keys))
    else:
        name = field.attname if field.column else field.name
        restricted = queryset.filter(**{f"{name}__in": keys})
    return cast(Q, restricted)
