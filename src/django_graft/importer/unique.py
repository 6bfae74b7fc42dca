"""Unique values the rows about to be created would repeat: conflicts found before any write.

Every unique field, ``unique_together`` set and unconditional
``UniqueConstraint`` on a model's own table is checked, foreign keys
included: their values are first pointed at the rows they will point at in
the target (a row the import creates has a new key, which nothing can hold
yet, so such a value cannot collide). The values are read as they will be
written, after the policy's ``set_fields`` and ``pre_save`` hook, where a
clash is usually resolved (a renamed copy). One query per unique set and batch of values.
"""

from __future__ import annotations

from itertools import compress
from typing import Any

from django.db import connections
from django.db.models import Model, UniqueConstraint

from django_graft.db.batching import chunked, key_batch_size
from django_graft.db.collation import Pairing
from django_graft.importer.decode import Columns, apply_overrides, columns_of, rows_of
from django_graft.importer.keybits import KeySet, members
from django_graft.importer.links import KeyMaps
from django_graft.importer.result import Conflict
from django_graft.policy.rules import Policy
from django_graft.schema.fieldtypes import INTEGER_TYPES, stored_type
from django_graft.schema.labels import concrete

#: Records read per step.
CHUNK = 2_000
#: Unique values held before they are looked up: a statement of 65,535
#: values (PostgreSQL's batch) costs the driver about 35 MB to build.
VALUES_AT_ONCE = 10_000


def unique_sets(model: type[Model]) -> list[tuple[Any, ...]]:
    """The field sets whose values must be unique together, on the model's own table."""
    local = {f.name: f for f in model._meta.local_concrete_fields}
    names: list[tuple[str, ...]] = [
        (f.name,) for f in local.values() if f.unique and not f.primary_key
    ]
    names += [tuple(together) for together in model._meta.unique_together]
    names += [
        tuple(constraint.fields)
        for constraint in model._meta.constraints
        if isinstance(constraint, UniqueConstraint)
        and constraint.fields
        and constraint.condition is None
        and not constraint.expressions
    ]
    sets: list[tuple[Any, ...]] = []
    for group in names:
        if all(name in local for name in group) and group not in [
            tuple(f.name for f in s) for s in sets
        ]:
            sets.append(tuple(local[name] for name in group))
    return sets


def taken_values(
    plan: Any, keys: KeyMaps, policy: Policy, using: str, *, keys_kept: bool = False
) -> list[Conflict]:
    """Conflicts: created rows of ``plan`` whose unique values an existing row holds.

    With ``keys_kept`` the rows keep their archive keys (their model cannot
    make new ones), so the primary key is checked as one more unique set,
    after the hooks that may change it.
    """
    sets = unique_sets(plan.model)
    pk: Any = plan.model._meta.pk
    if keys_kept:
        sets.append(tuple(getattr(pk, "fields", None) or [pk]))
    if not sets or not plan.create:
        return []
    # Values are looked up as soon as a batch is full: what is held at once
    # is a batch per set, however many rows the archive creates. Every row
    # holding a value taken is named, whichever batch it came in.
    wanted: list[dict[tuple[Any, ...], list[Any]]] = [{} for _ in sets]
    found: list[list[Conflict]] = [[] for _ in sets]
    batch = min(key_batch_size(connections[using]), VALUES_AT_ONCE)
    manager = plan.model._base_manager.using(using)

    def look_up(index: int) -> None:
        fields, values = sets[index], wanted[index]
        named = "pk" if _is_key(fields, pk) else ", ".join(f.name for f in fields)
        for value, existing in _existing(manager, fields, values, using):
            shown = value[0] if len(value) == 1 else value
            found[index].extend(
                Conflict(plan.label, key, named, shown, existing) for key in values[value]
            )
        values.clear()

    pre_save = policy.hook(plan.model, "pre_save")
    overrides = policy.overrides(plan.model)
    # Without a hook or an override to change them, the archive's own link
    # values tell which rows point at rows created with new keys.
    new_links = [] if pre_save or overrides else [_new_link(fields, keys) for fields in sets]
    for chunk in plan.spool.records(CHUNK):
        chunk_keys = plan.spool.keys_of(chunk)
        created = list(compress(range(len(chunk_keys)), members(plan.create, chunk_keys)))
        if new_links:
            created = [i for i in created if _may_collide(chunk[i]["fields"], new_links)]
        if not created:
            continue
        row_keys = [chunk_keys[i] for i in created]
        columns = plan.decoder.decode_columns([chunk[i] for i in created])
        if keys_kept and not hasattr(pk, "fields"):
            columns[pk.attname] = list(row_keys)  # as the writer gives them, before the hooks
        if overrides:
            apply_overrides(columns, overrides, len(row_keys))
        if pre_save is not None:
            rows = rows_of(columns, len(row_keys))
            pre_save(rows)
            columns = columns_of(rows, list(columns))
        for index, (fields, values) in enumerate(zip(sets, wanted, strict=True)):
            for value, key in _values(fields, columns, row_keys, keys):
                values.setdefault(value, []).append(key)
            if len(values) >= batch:
                look_up(index)
    for index, values in enumerate(wanted):
        if values:
            look_up(index)
    return [conflict for conflicts in found for conflict in conflicts]


def _existing(
    manager: Any, fields: tuple[Any, ...], values: dict[tuple[Any, ...], Any], using: str
) -> list[tuple[tuple[Any, ...], Any]]:
    """``(values, existing key)`` of the existing rows holding any of ``values``.

    A set of several fields is looked up by its most selective column, with an
    ``IN`` list (an ``OR`` of thousands of ``AND``s is too deep for SQLite),
    and the whole tuples compared here.
    """
    attnames = [f.attname for f in fields]
    columns = [{value[i] for value in values} for i in range(len(fields))]
    by = max(range(len(fields)), key=lambda i: len(columns[i]))
    found = []
    pair = Pairing(values)
    for batch in chunked(sorted(columns[by], key=repr), key_batch_size(connections[using])):
        rows = manager.filter(**{f"{attnames[by]}__in": batch}).values_list(*attnames, "pk")
        for *row, existing in rows:
            asked = pair(tuple(row))
            if asked is not None:
                found.append((asked, existing))
    return found


def _new_link(fields: tuple[Any, ...], keys: KeyMaps) -> tuple[str, KeySet] | None:
    """``(field name, keys)`` of a link in ``fields`` to rows the import gives new keys.

    Only a link by an integer key counts: the archive holds such a key as
    the database will. A row whose value is among ``keys`` cannot collide.
    """
    for f in fields:
        if not (f.is_relation and f.target_field.primary_key):
            continue
        pending = keys.pending.get(concrete(f.related_model))
        if pending and stored_type(f.target_field) in INTEGER_TYPES:
            return f.name, pending
    return None


def _may_collide(values: dict[str, Any], new_links: list[tuple[str, KeySet] | None]) -> bool:
    """Whether some unique set of a record does not point at a row created with a new key.

    A value that is not an integer key is left to decoding, which names it.
    """
    for link in new_links:
        if link is None:
            return True
        value = values.get(link[0])
        if type(value) is not int or value not in link[1]:
            return True
    return False


def _values(
    fields: tuple[Any, ...], columns: Columns, row_keys: list[Any], keys: KeyMaps
) -> list[tuple[tuple[Any, ...], Any]]:
    """``(unique values, archive key)`` of the rows whose values could already be taken."""
    found = []
    for i, key in enumerate(row_keys):
        value = []
        for f in fields:
            item = columns[f.attname][i]
            if item is not None and f.is_relation and f.target_field.primary_key:
                item, new = keys.map(concrete(f.related_model), item)
                if new:  # points at a row this import creates: nothing holds it yet
                    break
            if item is None:  # NULLs never collide
                break
            value.append(item)
        else:
            found.append((tuple(value), key))
    return found


def _is_key(fields: tuple[Any, ...], pk: Any) -> bool:
    """Whether ``fields`` are the primary key ``pk`` (a composite one's parts)."""
    return tuple(getattr(pk, "fields", None) or [pk]) == fields
