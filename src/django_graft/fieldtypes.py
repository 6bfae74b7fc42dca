"""What kind of value a column holds, seen through foreign keys."""

from __future__ import annotations

from typing import Any

#: Internal types of integer columns.
INTEGER_TYPES = frozenset(
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


def stored_type(field: Any) -> str:
    """The internal type of the column ``field`` stores (a foreign key: its target's)."""
    while field.remote_field is not None and hasattr(field, "target_field"):
        field = field.target_field
    return str(field.get_internal_type())
