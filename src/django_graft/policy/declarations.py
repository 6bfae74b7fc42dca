"""Read the dynamic edges a policy declares: links the schema does not know.

``Policy(dynamic_edges={label: declaration, ...})``, where ``label`` names
the column holding the keys (``app_label.Model.field``) and a declaration,
or a list of them for several places in one JSON field, is a dict:

* ``path``: where the keys are inside a ``JSONField`` (``$.product_ids[*]``,
  see :mod:`django_graft.schema.jsonpath`); left out for a plain column,
  whose value is the key;
* ``to``: the model the keys belong to, or ``to_type``: a column of the
  same row naming it (a foreign key to ``ContentType``, or text holding a
  model label such as ``"shop.product"``);
* ``rule``: ``"need"`` (the default: the rows are needed, as a foreign
  key's target is) or ``"own"`` (they belong to the tree).

Anything else is a ``PolicyError`` naming the label, when the policy is built.
The declarations are also what an archive's header records (:func:`described`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models

from django_graft.exceptions import PolicyError
from django_graft.policy.parsing import model_field
from django_graft.schema.dynamic import DynamicLink
from django_graft.schema.edges import Edge, dynamic_edge
from django_graft.schema.jsonpath import JsonPath, PathSyntaxError
from django_graft.schema.labels import concrete, model_label, resolve_model

_KEYS = frozenset({"path", "to", "to_type", "rule"})
_RULES = ("need", "own")


def declared_edges(declarations: Mapping[str, Any]) -> list[tuple[Edge, str]]:
    """``(edge, rule)`` for each declaration; a ``PolicyError`` for the first wrong one."""
    found: list[tuple[Edge, str]] = []
    for label, given in declarations.items():
        items = given if isinstance(given, Sequence) and not isinstance(given, str) else [given]
        for declaration in items:
            edge, rule = _declared(label, declaration)
            for other, _ in found:
                if _same_places(edge, other):
                    raise PolicyError(
                        f"'{label}' declares dynamic edges at {_place(edge)} and "
                        f"{_place(other)}, which find the same places: each key would be "
                        "mapped twice. Declare each place once.",
                        label=label,
                    )
            found.append((edge, rule))
    return found


def _same_places(edge: Edge, other: Edge) -> bool:
    link, other_link = edge.dynamic, other.dynamic
    assert link is not None and other_link is not None
    if link.field is not other_link.field:
        return False
    if link.path is None or other_link.path is None:
        return True
    return link.path.overlaps(other_link.path)


def _place(edge: Edge) -> str:
    assert edge.dynamic is not None
    return edge.dynamic.where


def _declared(label: str, declaration: Any) -> tuple[Edge, str]:
    if not isinstance(declaration, Mapping):
        raise PolicyError(
            f"The dynamic edge '{label}' must be declared by a dict such as "
            "{'path': '$.product_ids[*]', 'to': 'shop.Product'}, not "
            f"{type(declaration).__name__}.",
            label=label,
        )
    unknown = sorted(set(declaration) - _KEYS)
    if unknown:
        raise PolicyError(
            f"The dynamic edge '{label}' has an unknown key '{unknown[0]}': the keys are "
            "path, to, to_type and rule.",
            label=label,
        )
    model, field = _column(label)
    path = _path(label, field, declaration.get("path"))
    target, type_field = _target(label, model, declaration)
    rule = str(declaration.get("rule", "need")).lower()
    if rule not in _RULES:
        raise PolicyError(
            f"The dynamic edge '{label}' cannot be '{declaration.get('rule')}': a dynamic "
            "edge is 'need' (its rows are needed) or 'own' (they belong to the tree). "
            "Leave out a link that is not followed.",
            label=label,
        )
    return dynamic_edge(model, DynamicLink(field, path, target, type_field)), rule


def _column(label: str) -> tuple[type[models.Model], Any]:
    model, field = model_field(label)
    owner = getattr(field, "model", model)
    if not getattr(field, "concrete", False) or field.is_relation or field.primary_key:
        raise PolicyError(
            f"'{label}' cannot hold a dynamic edge: only a stored column that is not a "
            "relation or a primary key can (a foreign key is followed already).",
            label=label,
        )
    if concrete(owner) is not concrete(model):
        raise PolicyError(
            f"'{label}' is a field of {model_label(owner)}, a multi-table parent of "
            f"{model_label(model)}: declare it there, as '{owner._meta.label}.{field.name}'.",
            label=label,
        )
    for private in model._meta.private_fields:
        if isinstance(private, GenericForeignKey) and field.name == private.fk_field:
            raise PolicyError(
                f"'{label}' is the object id of the generic foreign key "
                f"{model_label(model)}.{private.name}, which is followed already.",
                label=label,
            )
    return concrete(model), field


def _path(label: str, field: Any, text: Any) -> JsonPath | None:
    json = isinstance(field, models.JSONField)
    if text is None:
        if json:
            raise PolicyError(
                f"The dynamic edge '{label}' is a JSON field: give the path of its keys, "
                "e.g. 'path': '$.product_ids[*]' ('$' for the whole value).",
                label=label,
            )
        return None
    if not json:
        raise PolicyError(
            f"The dynamic edge '{label}' has a path, but {field.name} is not a JSON field: "
            "leave the path out, the column's value is the key.",
            label=label,
        )
    try:
        return JsonPath.parse(text)
    except PathSyntaxError as exc:
        raise PolicyError(
            f"The dynamic edge '{label}' has the path {text!r}, which cannot be read: {exc}.",
            label=label,
        ) from None


def _target(
    label: str, model: type[models.Model], declaration: Mapping[str, Any]
) -> tuple[type[models.Model] | None, Any]:
    to, to_type = declaration.get("to"), declaration.get("to_type")
    if (to is None) == (to_type is None):
        raise PolicyError(
            f"The dynamic edge '{label}' needs one of 'to' (the model its keys belong "
            "to) or 'to_type' (a column naming it, row by row).",
            label=label,
        )
    if to is not None:
        target = concrete(resolve_model(str(to)))
        if hasattr(target._meta.pk, "fields"):
            raise PolicyError(
                f"The dynamic edge '{label}' points at {model_label(target)}, whose primary "
                "key is composite: a dynamic edge holds single keys.",
                label=label,
            )
        return target, None
    type_label = f"{label.rsplit('.', 1)[0]}.{to_type}"
    _, type_field = model_field(type_label)
    by_type = type_field.is_relation and type_field.related_model is ContentType
    text = isinstance(type_field, models.CharField | models.TextField)
    if not (by_type or text) or concrete(type_field.model) is not model:
        raise PolicyError(
            f"The dynamic edge '{label}' takes its model from '{type_label}', which is "
            "neither a foreign key to ContentType nor a text column of the same table "
            "holding a model label.",
            label=label,
        )
    return None, type_field


def described(edge: Edge, rule: str) -> dict[str, Any]:
    """A declaration as an archive's header records it."""
    link = edge.dynamic
    assert link is not None
    entry: dict[str, Any] = {"field": f"{model_label(edge.source)}.{link.field.name}"}
    if link.path is not None:
        entry["path"] = str(link.path)
    if link.type_field is not None:
        entry["to_type"] = link.type_field.name
    else:
        assert link.target is not None
        entry["to"] = model_label(link.target)
    entry["rule"] = rule
    return entry
