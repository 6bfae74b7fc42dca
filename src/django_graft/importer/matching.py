"""Find existing rows for archive rows: by chosen fields or by natural key, in batches."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import MultipleObjectsReturned, ObjectDoesNotExist
from django.db import connections
from django.db.models import Model, UniqueConstraint

from django_graft.db.batching import chunked, key_batch_size
from django_graft.db.collation import Pairing
from django_graft.exceptions import AmbiguousMatch
from django_graft.schema.labels import model_label


def as_tuple(value: Any) -> Any:
    """Turn JSON lists (natural keys, nested ones included) into hashable tuples."""
    if isinstance(value, list | tuple):
        return tuple(as_tuple(v) for v in value)
    return value


def find_by_fields(
    model: type[Model], fields: Sequence[str], wanted: Iterable[tuple[Any, ...]], using: str
) -> dict[tuple[Any, ...], Any]:
    """Return ``{values: pk}`` for the existing rows whose ``fields`` hold ``values``.

    One query per batch of distinct first-field values; the other fields are
    compared here. Two existing rows with the same values are an error.
    """
    wanted = set(wanted)
    if not wanted:
        return {}
    manager = model._base_manager.using(using)
    attnames = [model._meta.get_field(name).attname for name in fields]  # type: ignore[union-attr]
    found: dict[tuple[Any, ...], Any] = {}
    pair = Pairing(wanted)
    firsts = sorted({values[0] for values in wanted if values[0] is not None}, key=repr)
    for batch in chunked(firsts, key_batch_size(connections[using])):
        rows = manager.filter(**{f"{attnames[0]}__in": batch}).values_list(*attnames, "pk")
        for *values, pk in rows:
            key = pair(tuple(values))
            if key is None:
                continue
            if key in found and found[key] != pk:
                raise AmbiguousMatch(
                    f"{model_label(model)}: {len(fields)} field(s) "
                    f"{', '.join(fields)} = {', '.join(map(repr, key))} match several "
                    f"existing rows (keys {found[key]!r} and {pk!r}). Match on fields that "
                    "are unique together, or remove the duplicates."
                )
            found[key] = pk
    return found


def _unique_sets(model: type[Model]) -> list[tuple[str, ...]]:
    """Field sets that are unique on ``model``, single fields first."""
    opts = model._meta
    sets: list[tuple[str, ...]] = [
        (f.name,) for f in opts.local_concrete_fields if f.unique and not f.primary_key
    ]
    sets.extend(tuple(names) for names in opts.unique_together)
    sets.extend(
        tuple(c.fields)
        for c in opts.constraints
        if isinstance(c, UniqueConstraint) and c.fields and c.condition is None
    )
    return sets


def natural_key_fields(model: type[Model], objs: Iterable[Any]) -> tuple[str, ...] | None:
    """The unique fields that spell out ``model``'s natural key, checked on ``objs``.

    A natural key is a method, so which columns it reads is not declared;
    a unique field set whose values equal ``natural_key()`` on every given
    object is taken to be it, and lets rows be matched in batches.
    """
    objs = list(objs)
    if not objs:
        return None
    for names in _unique_sets(model):
        attnames = [model._meta.get_field(name).attname for name in names]  # type: ignore[union-attr]
        if all(
            as_tuple(obj.natural_key()) == tuple(getattr(obj, a) for a in attnames) for obj in objs
        ):
            return names
    return None


def find_by_natural_keys(
    model: type[Model], keys: Iterable[tuple[Any, ...]], using: str
) -> dict[tuple[Any, ...], Any]:
    """Return ``{natural key: pk}`` for the natural keys that exist in ``using``.

    Where a unique field set has as many fields as the natural key, candidate
    rows are fetched in batches and each one's own ``natural_key()`` decides
    (so a natural key that spans a relation still matches exactly). The
    rest go through ``get_by_natural_key``, one query each.
    """
    remaining = set(keys)
    found: dict[tuple[Any, ...], Any] = {}
    if not remaining:
        return found
    manager: Any = model._base_manager.db_manager(using)
    for names in _unique_sets(model):
        # Only the keys with as many parts as the set can match it.
        fitting = {key for key in remaining if len(key) == len(names)}
        if not fitting:
            continue
        firsts = sorted({key[0] for key in fitting}, key=repr)
        for batch in chunked(firsts, key_batch_size(connections[using])):
            try:
                candidates = list(manager.filter(**{f"{names[0]}__in": batch}))
            except (TypeError, ValueError):  # the first part is not this field's type
                break
            for obj in candidates:
                key = as_tuple(obj.natural_key())
                if key in remaining:
                    found[key] = obj.pk
                    remaining.discard(key)
    lookup: Any = model._default_manager.db_manager(using)
    for key in sorted(remaining, key=repr):
        try:
            obj = lookup.get_by_natural_key(*key)
        except (ObjectDoesNotExist, TypeError, ValueError):
            # Not found, or not a natural key of this model at all (the
            # wrong number or kind of parts): missing, as the caller reports.
            continue
        except MultipleObjectsReturned:
            raise AmbiguousMatch(
                f"{model_label(model)}: natural key {list(key)!r} matches several existing "
                "rows. Make the natural key unique, or match on other fields with --match."
            ) from None
        found[key] = obj.pk
    return found


def has_natural_key(model: type[Model]) -> bool:
    return hasattr(model, "natural_key") and hasattr(model._default_manager, "get_by_natural_key")
