"""The values an integer column holds, as the database backend says."""

from __future__ import annotations

from typing import Any

# Django's validators read the same table (undocumented); tests/db/test_integers.py
# fails if it moves or changes shape.
from django.db.backends.base.operations import BaseDatabaseOperations


def integer_range(internal_type: str, vendor: str, ops: Any) -> tuple[int, int] | None:
    """The values an integer column of ``internal_type`` holds on the database of ``ops``.

    The database's own range, as Django's validators use it; on SQLite, which
    stores any 64-bit integer in any integer column, the range the field's
    type has on the other databases, so that an archive SQLite takes imports
    everywhere.
    """
    generic = BaseDatabaseOperations.integer_field_ranges.get(internal_type)
    if vendor == "sqlite":
        return generic
    try:
        found = ops.integer_field_range(internal_type)
    except KeyError:
        return generic
    return None if found is None else (int(found[0]), int(found[1]))


def portable_range(internal_type: str) -> tuple[int, int] | None:
    """The values an integer column of ``internal_type`` holds on every database Django supports."""
    return BaseDatabaseOperations.integer_field_ranges.get(internal_type)
