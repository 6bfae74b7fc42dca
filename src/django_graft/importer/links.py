"""The columns of a model that point at other rows, and how their values follow remapped keys."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db.models import Field, Model

from django_graft.archive.schema import stored_fields
from django_graft.labels import concrete


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
                )
            )
    generics = []
    for private in model._meta.private_fields:
        if isinstance(private, GenericForeignKey):
            ct: Any = model._meta.get_field(private.ct_field)
            oid: Any = model._meta.get_field(private.fk_field)
            generics.append(
                GenericLink(private.name, ct.name, ct.attname, oid.attname, oid, oid.null)
            )
    return tuple(links), tuple(generics)


class KeyMaps:
    """Where each archive key ended up in the target database.

    ``changes[model]`` holds the keys that differ (or, for references and
    remapped rows, every key); a key not in it stays as it is. ``pending``
    holds, in remap mode, the keys of rows not written yet, whose new keys
    are unknown: a reference to one is written NULL and filled in later.
    """

    def __init__(self, using: str) -> None:
        self.using = using
        self.changes: defaultdict[type[Model], dict[Any, Any]] = defaultdict(dict)
        self.pending: defaultdict[type[Model], set[Any]] = defaultdict(set)

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
