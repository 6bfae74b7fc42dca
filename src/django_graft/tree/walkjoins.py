"""Edges followed inside the database, from keys held in a temporary table.

For a frontier kept in a :class:`~django_graft.db.keytables.KeyTable`, an
edge that one join can follow becomes a one-column ``values_list()`` of
the keys it reaches; the walk inserts its result into the target's table
with ``INSERT … SELECT`` (the method of Jailer's SQL-side traversal), so the
keys never reach Python. The querysets are the ORM's: the base manager, the
joins of multi-table inheritance and every quoting rule are Django's.

A generic foreign key is joined once per content type its rows name, where
its object ids and the target keys are integers. Edges that need Python
(other generic foreign keys; a dynamic edge; a link over several columns)
are not joined: the walk reads the rows they need a page at a time.
"""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, QuerySet

from django_graft.db.keytables import KeyTable
from django_graft.schema.edges import Edge, EdgeKind, generic_columns
from django_graft.schema.fieldtypes import INTEGER_TYPES, stored_type
from django_graft.schema.labels import concrete


def _column(fields: tuple[Any, ...]) -> Any | None:
    """The one concrete column a link is held in, or ``None``."""
    if len(fields) != 1 or not getattr(fields[0], "column", None):
        return None
    return fields[0]


def joined_keys(edge: Edge, frontier: KeyTable, using: str) -> QuerySet[Any, Any] | None:
    """The keys ``edge`` reaches from the rows in ``frontier``, as a one-column queryset.

    The queryset selects each key once. ``None`` when the edge is followed
    in Python.
    """
    reached: QuerySet[Any, Any] | None = _joined(edge, frontier, using)
    return reached


def _joined(edge: Edge, frontier: KeyTable, using: str) -> Any:
    target = edge.target
    if target is None:
        return None
    if edge.kind is EdgeKind.GENERIC_REVERSE:
        return _generic_reverse(edge, target, frontier, using)
    if edge.kind not in (EdgeKind.FORWARD, EdgeKind.REVERSE) or edge.fk is None:
        return None
    link, key = _column(edge.link_fields), _column(edge.key_fields)
    if link is None or key is None:
        return None
    manager = target._base_manager.using(using)
    if edge.kind is EdgeKind.FORWARD:
        if edge.via_pk:
            return (
                frontier.rows()
                .filter(**{f"{link.attname}__isnull": False})
                .values_list(link.attname)
                .distinct()  # many rows link to few: fewer keys to insert
            )
        linked = frontier.rows().values(link.attname)
        return manager.filter(**{f"{key.attname}__in": linked}).values_list("pk")
    values: Any = frontier.subquery() if edge.via_pk else frontier.rows().values(key.attname)
    return manager.filter(**{f"{link.attname}__in": values}).values_list("pk")


def generic_joined(
    edge: Edge, frontier: KeyTable, using: str
) -> list[tuple[int, type[Model] | None, QuerySet[Any, Any]]] | None:
    """The keys a generic foreign key reaches from the rows in ``frontier``, by content type.

    ``(content type id, its model or None, the object ids as a one-column
    queryset selecting each once)`` for each content type the rows name (one
    query finds them). ``None`` where the object ids are compared in Python:
    where they, or one target model's keys, are not integers.
    """
    if edge.kind is not EdgeKind.GENERIC_FORWARD:
        return None
    object_id: Any = edge.source._meta.get_field(edge.generic.fk_field)
    if stored_type(object_id) not in INTEGER_TYPES:
        return None
    ct_name, id_name = generic_columns(edge)
    rows = frontier.rows().filter(**{f"{ct_name}__isnull": False, f"{id_name}__isnull": False})
    manager = ContentType.objects.db_manager(using)
    joined = []
    for ct_id in sorted(rows.order_by().values_list(ct_name, flat=True).distinct()):
        model = manager.get_for_id(ct_id).model_class()
        target = None if model is None else concrete(model)
        if target is not None and stored_type(target._meta.pk) not in INTEGER_TYPES:
            return None
        ids = rows.filter(**{ct_name: ct_id}).values_list(id_name).distinct()
        joined.append((ct_id, target, ids))
    return joined


def _generic_reverse(edge: Edge, target: type[Model], frontier: KeyTable, using: str) -> Any:
    """A ``GenericRelation``'s rows, when its object id column compares with the keys as they are.

    An object id held as text next to integer keys (the usual
    ``CharField``) is compared in Python, where the key is written as text.
    """
    relation = edge.generic
    object_id: Any = target._meta.get_field(relation.object_id_field_name)
    key: Any = frontier.model._meta.pk
    both_integers = stored_type(object_id) in INTEGER_TYPES and stored_type(key) in INTEGER_TYPES
    if not both_integers:
        return None
    content_type = ContentType.objects.db_manager(using).get_for_model(
        edge.source, for_concrete_model=relation.for_concrete_model
    )
    return (
        target._base_manager.using(using)
        .filter(
            **{
                relation.content_type_field_name: content_type.pk,
                f"{object_id.attname}__in": frontier.subquery(),
            }
        )
        .values_list("pk")
    )
