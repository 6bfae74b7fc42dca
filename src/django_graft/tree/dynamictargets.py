"""Follow a dynamic edge from the rows a walk read: the keys its places hold, per target model.

The rows come from the walk's row query, which reads the edge's column (and
the column naming the model, for an edge typed row by row) with the other
columns its next step needs: following dynamic edges costs no query of its
own. The keys are not shown to exist by the schema, so the walk checks them
as it checks a generic foreign key's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model

from django_graft.exceptions import DynamicEdgeError
from django_graft.schema.dynamic import DynamicLink, NotAKey, key_reader
from django_graft.schema.edges import Edge
from django_graft.schema.labels import concrete, model_label
from django_graft.tree.walkrows import Rows


class TargetNamer:
    """The model a row's type column names: a content type's, or a label's."""

    def __init__(self, using: str) -> None:
        self.using = using
        self._labels: dict[str, type[Model]] | None = None

    def model(self, link: DynamicLink, value: Any) -> type[Model] | None:
        """The concrete model ``value`` names; ``None`` for a content type of no installed model."""
        if link.by_content_type:
            found = ContentType.objects.db_manager(self.using).get_for_id(value).model_class()
            return None if found is None else concrete(found)
        if self._labels is None:
            self._labels = {m._meta.label_lower: m for m in apps.get_models()}
        model = self._labels.get(str(value).strip().lower())
        if model is None:
            raise LookupError(value)
        return concrete(model)


def dynamic_targets(
    edge: Edge, rows: Rows, namer: TargetNamer, warn: Callable[[str], None]
) -> dict[type[Model], set[Any]]:
    """``{target model: keys}`` the edge's places hold in ``rows``.

    A value that is not a key of its model is a ``DynamicEdgeError`` naming
    the row and the place.
    """
    link = edge.dynamic
    assert link is not None
    label = model_label(edge.source)
    found: defaultdict[type[Model], set[Any]] = defaultdict(set)
    readers: dict[type[Model], Callable[[Any], Any]] = {}
    keys_in = link.keys_in
    values = rows.column(link.field.attname)
    types = rows.column(link.type_field.attname) if link.type_field is not None else None
    for i, (pk, value) in enumerate(zip(rows.column("pk"), values, strict=True)):
        if value is None:
            continue
        target = link.target
        if types is not None:
            named = types[i]
            if named is None or named == "":
                continue
            try:
                target = namer.model(link, named)
            except LookupError:
                raise _not_a_model(label, pk, link, named) from None
            if target is None:
                warn(
                    f"{label} {pk!r}: {link.where} names content type {named}, whose model is "
                    "not installed; that link is left out."
                )
                continue
        assert target is not None
        read = readers.get(target)
        if read is None:
            read = readers[target] = key_reader(link, target)
        keys = found[target]
        for raw in keys_in(value):
            try:
                keys.add(read(raw))
            except NotAKey as exc:
                raise not_a_key(label, pk, link, target, raw, str(exc)) from None
    return found


def not_a_key(
    label: str, pk: Any, link: DynamicLink, target: type[Model], raw: Any, why: str
) -> DynamicEdgeError:
    return DynamicEdgeError(
        f"{label} {pk!r}: {link.where} holds {raw!r}, which is not a key of "
        f"{model_label(target)} as the policy's dynamic edge declares ({why}). Correct the "
        "row, or the declaration's path.",
        model=label,
        pk=pk,
        place=link.where,
    )


def _not_a_model(label: str, pk: Any, link: DynamicLink, named: Any) -> DynamicEdgeError:
    assert link.type_field is not None
    return DynamicEdgeError(
        f"{label} {pk!r}: {link.type_field.name} holds {named!r}, which names no installed "
        f"model, so the keys at {link.where} belong to nothing. Write a model label there "
        "(app_label.model), or correct the declaration's to_type.",
        model=label,
        pk=pk,
        place=link.where,
    )
