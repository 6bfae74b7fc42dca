"""Write and read rows through the parts of a queryset Django keeps for itself.

Each helper names the public behaviour it stands for; the methods and
attributes they use are private to Django (a leading underscore), so
``tests/db/test_queryset.py`` exercises each one and fails on a Django
version that changes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Model, QuerySet


def raw_delete(queryset: QuerySet[Any, Any], using: str) -> int:
    """``DELETE`` the rows of ``queryset`` in one statement: no signals, no collector.

    What ``QuerySet.delete()`` ends with for rows nothing else depends on
    (Django's "fast delete"), through ``QuerySet._raw_delete``.
    """
    count: int = queryset._raw_delete(using)
    return count


def insert_rows(
    manager: Any,
    objs: Sequence[Any],
    fields: Sequence[Any],
    using: str,
    returning: Sequence[Any] = (),
) -> list[tuple[Any, ...]]:
    """``INSERT`` ``objs`` (anything with the fields' attnames) as ``bulk_create`` does.

    ``bulk_create`` itself needs model instances, sends no signal either, and
    inserts through ``QuerySet._insert``, as ``loaddata`` saves raw rows.
    ``returning``: the fields whose values the database gives back, per row.
    """
    if returning:
        rows = manager._insert(
            objs, fields=fields, returning_fields=list(returning), raw=True, using=using
        )
        return [tuple(row) for row in rows]
    manager._insert(objs, fields=fields, raw=True, using=using)
    return []


def attach_prefetched(obj: Model, name: str, related: Sequence[Model]) -> None:
    """Give ``obj`` the many-to-many ``related`` objects as ``prefetch_related(name)`` would.

    Django's serializers read a prefetched relation from the object instead
    of querying it: an evaluated queryset (``_result_cache``, marked
    ``_prefetch_done``) in the object's ``_prefetched_objects_cache``.
    """
    linked = getattr(obj, name).get_queryset()
    linked._result_cache = list(related)
    linked._prefetch_done = True
    obj.__dict__.setdefault("_prefetched_objects_cache", {})[name] = linked


def is_prefetched(obj: Model, name: str) -> bool:
    """Whether ``obj``'s relation ``name`` was prefetched, or attached as if it were."""
    return name in getattr(obj, "_prefetched_objects_cache", {})


def cache_related(fk: Any, obj: Model, target: Model) -> None:
    """Make ``getattr(obj, fk.name)`` give ``target`` with no query, as ``select_related`` does."""
    fk.set_cached_value(obj, target)
