"""What a link record may put back: only what a delete wrote.

A link record names a row outside the archive and a foreign key of it, the
value before a delete and the value the delete wrote. Applying it changes
a row the archive does not carry, so an import holds it to what a delete
can have written, whoever made the archive:

* the key is a concrete foreign key or one-to-one of the row's own, never
  its primary key (a multi-table-inheritance parent pointer, a one-to-one
  key) nor a many-to-many;
* its ``on_delete`` updates the row: ``SET_NULL``, ``SET_DEFAULT``,
  ``SET(...)``, Django 6.1's ``DB_SET_NULL`` and ``DB_SET_DEFAULT``, or a
  function of the schema's own that, asked now as the delete asked it,
  sets this very key;
* the record says what the delete wrote (``after``), and it is what that
  ``on_delete`` writes: NULL, the field's default (the database default's
  value), the value ``SET()`` gives, or what the function sets;
* the value to put back names a row the archive carries as an object
  record of its trees, by key or by ``to_field`` value.

A record that breaks one of these is refused by name, with nothing
written: it is not what a delete wrote. Whether the row still holds what
the delete wrote is decided later, row by row (:mod:`.relink`).
"""

from __future__ import annotations

from collections.abc import Callable, Container, Mapping
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import connections
from django.db.models import Model

from django_graft.db.batching import chunked, key_batch_size
from django_graft.db.deletion import ask_on_delete, constant_db_default
from django_graft.db.keyfilter import filter_in
from django_graft.exceptions import ArchiveFormatError
from django_graft.importer.scalars import key_decoder
from django_graft.schema.labels import concrete, model_label
from django_graft.tree.outside import action_name

#: The actions that write NULL.
_NULL_ACTIONS = frozenset({"SET_NULL", "DB_SET_NULL"})

#: Actions of Django's that do not update the row, so never leave a link to restore.
_NOT_UPDATING = frozenset({"CASCADE", "DB_CASCADE", "PROTECT", "RESTRICT", "DO_NOTHING"})


def refused(number: int, label: str, pk: Any, name: Any, why: str) -> ArchiveFormatError:
    """The error for a link record that is not what a delete wrote."""
    return ArchiveFormatError(
        f"Line {number}: the link record of {label} {pk!r} ({name}) is refused: {why}. A "
        "link record may only put back a link a delete cleared; nothing was written. "
        "Import an archive that the delete of these rows wrote, or remove the record.",
        line=number,
    )


def foreign_key_named(model: type[Model], name: Any, number: int) -> Any:
    """The concrete foreign key (or one-to-one) ``name`` of ``model``; else refuse."""
    try:
        fk: Any = model._meta.get_field(str(name))
    except FieldDoesNotExist:
        fk = None
    if fk is None or not fk.concrete or not (fk.many_to_one or fk.one_to_one):
        raise ArchiveFormatError(
            f"Line {number}: {model_label(model)} has no foreign key {name!r} to put back.",
            line=number,
        )
    return fk


def restorable_key(model: type[Model], name: Any, number: int, pk: Any) -> Any:
    """The foreign key ``name`` of ``model``, if a link record may put it back; else refuse."""
    label = model_label(model)
    fk = foreign_key_named(model, name, number)
    if fk.primary_key or getattr(fk.remote_field, "parent_link", False):
        raise refused(
            number,
            label,
            pk,
            name,
            "it is the row's key (a parent pointer or a one-to-one key), which no delete changes",
        )
    if concrete(fk.model) is not model:
        raise refused(number, label, pk, name, f"it is a field of {model_label(fk.model)}")
    action = action_name(fk.remote_field.on_delete)
    if action in _NOT_UPDATING:
        raise refused(
            number,
            label,
            pk,
            name,
            f"its on_delete is {action}, which does not set the link, so no delete left "
            "one to put back",
        )
    return fk


def written_value(fk: Any) -> tuple[bool, Any] | None:
    """``(known, value)``: what ``fk``'s ``on_delete`` writes, where the rows do not matter.

    ``(False, None)`` where no one can know it (a database default that is
    an expression); None for a function of the schema's own, which is asked
    with the rows (:func:`asked_values`).
    """
    on_delete = fk.remote_field.on_delete
    action = action_name(on_delete)
    if action in _NULL_ACTIONS:
        return True, None
    if action == "SET_DEFAULT":
        return True, fk.get_default()
    if action == "DB_SET_DEFAULT":
        known, default = constant_db_default(fk)
        return (True, default) if known else (False, None)
    if action.startswith("SET("):
        value = on_delete.deconstruct()[1][0]
        return True, value() if callable(value) else value
    return None


def asked_values(
    model: type[Model], fk: Any, keys: list[Any], using: str
) -> dict[Any, tuple[bool, Any]]:
    """``{key: (sets fk, value)}``: what ``fk``'s own ``on_delete`` function does to the rows.

    The function is called as a delete calls it (as :mod:`django_graft.tree.outside`
    does), with a collector of Django's and the rows; a row it would not
    update, or update otherwise, is not one a delete of it cleared.
    """
    found: dict[Any, tuple[bool, Any]] = dict.fromkeys(keys, (False, None))
    manager = model._base_manager.using(using)
    size = key_batch_size(connections[using])
    for batch in chunked(sorted(keys, key=repr), size):
        try:
            answer = ask_on_delete(fk, filter_in(manager, model._meta.pk, batch), using)
        except Exception:  # a refusal (ProtectedError) or any failure: it sets nothing
            continue
        for (changed, value), changed_keys in answer.updates.items():
            if changed is fk:
                found.update(dict.fromkeys(changed_keys, (True, value)))
    return found


def comparable(fk: Any, value: Any) -> Any:
    """A value ``on_delete`` gives, as the column holds it (an instance becomes its key)."""
    if isinstance(value, Model):
        value = getattr(value, fk.target_field.attname)
    if value is None:
        return None
    try:
        if fk.target_field.primary_key:
            return key_decoder(concrete(fk.related_model))(value)
        return fk.target_field.to_python(value)
    except (TypeError, ValueError, ValidationError):
        return value


def carried_check(
    fk: Any,
    owned: Mapping[type[Model], Container[Any]],
    owned_values: Callable[[type[Model], str], set[Any]],
) -> Callable[[Any], bool]:
    """Whether a value of ``fk`` names a row the archive's trees carry."""
    target = concrete(fk.related_model)
    if fk.target_field.primary_key:
        keys = owned.get(target, ())
        return keys.__contains__
    values = owned_values(target, fk.target_field.attname)
    return values.__contains__
