"""The columns of a model that point at other rows, and how their values follow remapped keys."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db.models import NOT_PROVIDED, Field, ForeignObject, Model, Value

from django_graft.archive.schema import stored_fields
from django_graft.importer.keybits import KeySet
from django_graft.importer.keypairs import KeyPairs
from django_graft.schema.labels import concrete

#: How a model's created rows get their keys: the archive's, the database's
#: (returned by the insert), the primary key's default, or the key of the
#: row the primary key links to (a multi-table parent, a one-to-one).
KEEP, RETURNING, DEFAULT, PARENT = "keep", "returning", "default", "parent"


@dataclass(frozen=True)
class Link:
    """A foreign key (or one-to-one, parent link included) stored on a model."""

    name: str
    attname: str
    target: type[Model]
    nullable: bool
    #: Whether the column holds the target's primary key (else a ``to_field``).
    via_pk: bool
    primary_key: bool
    #: The column of the target whose value the link holds.
    target_attname: str = "pk"
    #: Whether no two rows may hold the same value (a one-to-one).
    unique: bool = False
    #: Whether the database holds the link to an existing row (a foreign key
    #: constraint); else it may name a row that is not there.
    enforced: bool = True
    #: Whether it joins the rows of one multi-table-inheritance object.
    parent_link: bool = False


@dataclass(frozen=True)
class GenericLink:
    """A generic foreign key: a content type column and an object id column."""

    name: str
    ct_name: str
    ct_attname: str
    id_attname: str
    id_field: Field[Any, Any] = field(repr=False)
    nullable: bool


@cache
def links_of(model: type[Model]) -> tuple[tuple[Link, ...], tuple[GenericLink, ...]]:
    links = []
    for f in stored_fields(model):
        if f.is_relation and (f.many_to_one or f.one_to_one) and f.related_model is not None:
            target: Any = f.related_model
            to_field: Any = f.target_field  # type: ignore[attr-defined]
            links.append(
                Link(
                    f.name,
                    f.attname,
                    concrete(target),
                    f.null,
                    to_field.primary_key,
                    f.primary_key,
                    to_field.attname,
                    f.unique,
                    bool(getattr(f, "db_constraint", False)),
                    bool(getattr(f.remote_field, "parent_link", False)),
                )
            )
    links.extend(_foreign_object_links(model))
    generics = []
    for private in model._meta.private_fields:
        if isinstance(private, GenericForeignKey):
            ct: Any = model._meta.get_field(private.ct_field)
            oid: Any = model._meta.get_field(private.fk_field)
            if ct.model is not model:
                continue  # declared on a multi-table parent, whose table holds it
            generics.append(
                GenericLink(private.name, ct.name, ct.attname, oid.attname, oid, oid.null)
            )
    return tuple(links), tuple(generics)


def _foreign_object_links(model: type[Model]) -> list[Link]:
    """Plain columns that a ``ForeignObject`` reads as another model's primary key.

    Such a column (``entry_key`` holding an Entry's key, say) must follow
    that key when it changes, as a foreign key's column does. Columns that
    are foreign keys themselves are links already, and a value matched
    against other columns (a number within a catalogue) stays as it is.
    """
    found = []
    for f in model._meta.local_fields:
        if not isinstance(f, ForeignObject) or f.concrete:
            continue
        for local, remote in f.related_fields:
            if local.is_relation or local.model is not model:
                continue
            target: Any = remote.model
            if remote is not target._meta.pk:
                continue
            found.append(
                Link(
                    local.name,
                    local.attname,
                    concrete(target),
                    local.null,
                    True,
                    local.primary_key,
                    enforced=False,
                )
            )
    return found


class KeyMaps:
    """Where each archive key ended up in the target database.

    ``changes[model]`` holds the keys that differ (or, for references and
    remapped rows, every key); a key not in it stays as it is. ``pending``
    holds, in remap mode, the keys of rows not written yet, whose new keys
    are unknown: a reference to one is written NULL and filled in later.
    """

    def __init__(self, using: str) -> None:
        self.using = using
        self.changes: defaultdict[type[Model], KeyPairs] = defaultdict(KeyPairs.for_import)
        self.pending: defaultdict[type[Model], KeySet] = defaultdict(set)
        #: {(model, attname): {archive value: value written}}: the values of
        #: columns that links name by ``to_field``, where the import changed them.
        self.values: defaultdict[tuple[type[Model], str], dict[Any, Any]] = defaultdict(dict)

    def map(self, target: type[Model], key: Any) -> tuple[Any, bool]:
        """Return ``(key in the target, False)``, or ``(None, True)`` when it is pending."""
        if key in self.pending.get(target, ()):
            return None, True
        changes = self.changes.get(target)
        return (key if changes is None else changes.get(key, key)), False

    def generic_target(self, ct_id: Any) -> type[Model] | None:
        """The model a content type id of the target database names."""
        model = ContentType.objects.db_manager(self.using).get_for_id(ct_id).model_class()
        return None if model is None else concrete(model)

    def generic_targets(self) -> dict[Any, type[Model] | None]:
        """:meth:`generic_target` of every content type of the target database."""
        found: dict[Any, type[Model] | None] = {}
        for content_type in ContentType.objects.db_manager(self.using).all():
            model = content_type.model_class()
            found[content_type.pk] = None if model is None else concrete(model)
        return found


def new_keys_of(model: type[Model], remap: bool) -> str:
    """How created rows of ``model`` get keys.

    A row keyed by a one-to-one (a multi-table-inheritance child, say)
    always takes the key of the row it links to. In remap mode a model that
    can make keys (the database, a default) makes them for every row it
    creates; one that cannot keeps the archive's keys, which must be free.
    """
    pk: Any = model._meta.pk
    if hasattr(pk, "fields"):  # composite keys follow their parts
        return KEEP
    if pk.is_relation:
        return PARENT
    if not remap:
        return KEEP
    if getattr(pk, "db_returning", False) and not _constant_default(pk):
        return RETURNING
    if pk.has_default() and callable(pk.default):  # a constant gives every row one key
        return DEFAULT
    return KEEP


def keys_renamed(policy: Any, model: type[Model]) -> bool:
    """Whether the policy's ``set_fields`` or ``pre_save`` hook may change ``model``'s keys."""
    pk: Any = model._meta.pk
    attnames = {part.attname for part in getattr(pk, "fields", None) or [pk]}
    renamed = attnames & set(policy.overrides(model))
    return bool(renamed) or policy.hook(model, "pre_save") is not None


def _constant_default(field: Any) -> bool:
    """Whether ``field``'s database default is one value for every row (it cannot make keys)."""
    default = getattr(field, "db_default", NOT_PROVIDED)
    if default is NOT_PROVIDED:
        return False
    return isinstance(default, Value) or not hasattr(default, "resolve_expression")
