"""Owned rows whose key is taken: the same row again, or one with other values.

Importing an archive into a database that already holds its rows at the
same keys (a second import of an unchanged archive, say) finds each row
there. A row whose stored values are the archive's, field for field, is
*unchanged*: nothing to write, nothing to decide. Any other is a conflict
that names the fields that differ.

Values are compared as Django reads them (the archive's decoded, the stored
ones through the fields' converters), and a link as it would be written: a
foreign key by the key its target has in this database, a generic one by
its content type's and target's keys here, the keys a dynamic edge holds by
their rows' keys here. One query per batch of keys, and
only for the keys found taken.
"""

from __future__ import annotations

import operator
from collections.abc import Collection, Mapping
from typing import Any

from django.contrib.contenttypes.fields import GenericForeignKey
from django.core.exceptions import ValidationError
from django.db import connections

from django_graft.db.batching import key_batch_size
from django_graft.db.fetch import rows_in
from django_graft.importer.dynamicmap import DynamicMapper
from django_graft.importer.links import KeyMaps
from django_graft.policy.rules import Policy
from django_graft.schema.fieldtypes import CONTAINER_TYPES, stored_type
from django_graft.schema.labels import concrete, model_label


def differing_fields(
    plan: Any,
    taken: Collection[Any],
    keys: KeyMaps,
    using: str,
    policy: Policy,
    at: Mapping[Any, Any] | None = None,
) -> dict[Any, list[str] | None]:
    """``{key: names of the fields whose stored value differs}`` for each key of ``taken``.

    Each archive row is compared with the stored row at its own key, or at
    ``at[key]`` (a sync: the row an earlier sync created for it).

    An empty list: the stored row is the archive's row. ``None``: it cannot
    be told here, and the row stays a conflict, as the key alone says: a
    link whose value the import may still change (by ``to_field``, through
    a ``ForeignObject``'s columns, to a row whose key is known only once
    written), or a model whose rows the policy changes on the way in
    (``set_fields``, a ``pre_save`` hook).
    """
    if not taken:
        return {}
    if policy.changes_values(plan.model):
        return dict.fromkeys(taken)
    model, decoder = plan.model, plan.decoder
    attnames, names = decoder.attnames, dict(zip(decoder.attnames, decoder.names, strict=True))
    targets = _link_targets(model, attnames)
    unsure = _unsure_columns(model, attnames)
    generics = _generic_links(model, attnames)
    dynamic = DynamicMapper(keys, None, policy)
    held = [attname for attname in dynamic.by_column(model) if attname in attnames]
    linked = [*targets, *(id_attname for _, id_attname, _ in generics), *held]
    nested = {
        f.attname
        for f in model._meta.concrete_fields
        if f.attname in attnames and stored_type(f) in CONTAINER_TYPES
    }
    nested_at = [j for j, attname in enumerate(attnames) if attname in nested]
    pk: Any = model._meta.pk
    found: dict[Any, list[str] | None] = {}
    for chunk in plan.spool.records_of(set(taken), key_batch_size(connections[using])):
        chunk_keys = plan.spool.keys_of(chunk)
        wanted = [i for i, key in enumerate(chunk_keys) if key in taken]
        if not wanted:
            continue
        where = [at[chunk_keys[i]] if at else chunk_keys[i] for i in wanted]
        stored = {
            row[0]: tuple(row[1:]) for row in rows_in(model, pk, where, ["pk", *attnames], using)
        }
        columns = decoder.decode_columns([chunk[i] for i in wanted])
        for attname, target in targets.items():
            columns[attname] = [
                value if value is None else _mapped(keys, target, value)
                for value in columns[attname]
            ]
        for ct_attname, id_attname, id_field in generics:
            columns[id_attname] = [
                _generic(keys, ct, object_id, id_field)
                for ct, object_id in zip(columns[ct_attname], columns[id_attname], strict=True)
            ]
        if held:  # keys a dynamic edge holds, as the import would write them
            label = model_label(model)
            archive_keys = [chunk_keys[i] for i in wanted]
            for row, attname, _, _ in dynamic.map(model, label, archive_keys, columns):
                columns[attname][row] = _PENDING
        # Whole rows first, as tuples compared in one step; field by field only
        # where they differ (or a value is nested, which == takes too lightly).
        archived = (
            list(zip(*(columns[attname] for attname in attnames), strict=True))
            if attnames
            else [()] * len(wanted)  # a table of keys only (a multi-table child, say)
        )
        unsure_columns = [columns[attname] for attname in unsure]
        linked_columns = [columns[attname] for attname in linked]
        for row, i in enumerate(wanted):
            now = stored.get(where[row])
            if now is None:  # gone since it was found: a conflict as any other
                found[chunk_keys[i]] = [pk.name]
                continue
            if any(column[row] is not None for column in unsure_columns) or any(
                column[row] is _PENDING for column in linked_columns
            ):
                found[chunk_keys[i]] = None
                continue
            mine = archived[row]
            if mine == now and all(same_value(mine[j], now[j]) for j in nested_at):
                found[chunk_keys[i]] = []
                continue
            found[chunk_keys[i]] = [
                names[attname]
                for attname, value in zip(attnames, now, strict=True)
                if not (same_value if attname in nested else operator.eq)(
                    columns[attname][row], value
                )
            ]
    return found


#: A link whose target's key in this database is known only once written.
_PENDING = object()


def _mapped(keys: KeyMaps, target: Any, value: Any) -> Any:
    mapped, pending = keys.map(target, value)
    return _PENDING if pending else mapped


def _generic(keys: KeyMaps, ct: Any, object_id: Any, id_field: Any) -> Any:
    """A generic link's object id as the import writes it: the key its target has here."""
    if ct is None or object_id is None or ct is _PENDING:
        return object_id if ct is not _PENDING else _PENDING
    target = keys.generic_target(ct)
    if target is None:
        return _PENDING
    try:
        key = target._meta.pk.to_python(object_id)
    except (ValidationError, TypeError, ValueError):
        return _PENDING
    mapped = _mapped(keys, target, key)
    return mapped if mapped is _PENDING else id_field.to_python(mapped)


def _generic_links(model: Any, attnames: list[str]) -> list[tuple[str, str, Any]]:
    """``(content type attname, object id attname, object id field)`` of each generic key."""
    found = []
    for field in model._meta.private_fields:
        if isinstance(field, GenericForeignKey):
            ct = model._meta.get_field(field.ct_field)
            object_id = model._meta.get_field(field.fk_field)
            if ct.attname in attnames and object_id.attname in attnames:
                found.append((ct.attname, object_id.attname, object_id))
    return found


def _unsure_columns(model: Any, attnames: list[str]) -> set[str]:
    """Columns of links whose written value is known only as the import writes.

    A foreign key by ``to_field`` (the value may be renamed on the way in),
    the columns of a ``ForeignObject``: while any holds a value, a row is
    not judged unchanged.
    """
    unsure: set[str] = set()
    for field in model._meta.get_fields():
        if (field.auto_created and not field.concrete) or isinstance(field, GenericForeignKey):
            continue  # a reverse relation, or a generic key (compared mapped)
        if field.is_relation and (field.many_to_one or field.one_to_one):
            if not field.concrete:  # a ForeignObject: its own columns hold the link
                unsure.update(f.attname for f in field.local_related_fields)
            elif not field.target_field.primary_key:
                unsure.add(field.attname)
    return unsure & set(attnames)


def same_value(one: Any, other: Any) -> bool:
    """Equal, and of the same types all the way down: JSON's ``true`` is not ``1``.

    Python takes ``True == 1`` and ``1 == 1.0``; the JSON a column keeps
    would differ, so a value inside a JSON (or array) column is the same
    only if it is of the same type too.
    """
    if type(one) is not type(other):
        return False
    if isinstance(one, dict):
        return one.keys() == other.keys() and all(same_value(one[k], other[k]) for k in one)
    if isinstance(one, list | tuple):
        return len(one) == len(other) and all(map(same_value, one, other))
    return bool(one == other)


def difference(fields: list[str] | None) -> dict[str, str]:
    """What a conflict says of a taken key: the fields that differ, when they are known."""
    if fields:
        return {"reason": f"the row with this key differs in {', '.join(fields)}"}
    return {"reason": "a row with this key exists"}


def _link_targets(model: Any, attnames: list[str]) -> dict[str, Any]:
    """``{attname: target model}`` of the foreign keys to a primary key among ``attnames``."""
    targets = {}
    for field in model._meta.concrete_fields:
        if (
            field.attname in attnames
            and (field.many_to_one or field.one_to_one)
            and field.target_field.primary_key
            and field.related_model is not None
        ):
            targets[field.attname] = concrete(field.related_model)
    return targets
