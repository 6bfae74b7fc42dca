"""Reference records: how an archive names rows it points at but never copies."""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from typing import Any

from django.db import connections
from django.db.models import Model

from django_graft.db.batching import chunked, key_batch_size, sorted_keys
from django_graft.policy.rules import Policy


def reference_keys(
    model: type[Model], keys: AbstractSet[Any], policy: Policy, using: str
) -> Iterator[tuple[Any, dict[str, Any]]]:
    """Yield ``(pk, {"natural_key": [...]})`` or ``(pk, {"match": {...}})`` per row.

    Match fields, when the policy gives some, win over the natural key.
    """
    size = key_batch_size(connections[using])
    match = policy.match_fields(model)
    manager = model._base_manager.using(using)
    for batch in chunked(sorted_keys(keys), size):
        if match:
            for pk, *values in (
                manager.filter(pk__in=batch).order_by("pk").values_list("pk", *match)
            ):
                yield pk, {"match": dict(zip(match, values, strict=True))}
        else:
            # Joining the foreign keys saves a query per row for natural keys
            # that span one, such as Permission's content type.
            joins = [
                f.name
                for f in model._meta.concrete_fields
                if f.is_relation and (f.many_to_one or f.one_to_one) and not f.null
            ]
            queryset = manager.filter(pk__in=batch).order_by("pk")
            if joins:
                queryset = queryset.select_related(*joins)
            for obj in queryset:
                natural_key: Any = obj.natural_key  # type: ignore[attr-defined,unused-ignore]
                yield obj.pk, {"natural_key": list(natural_key())}
