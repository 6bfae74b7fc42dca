"""What the labels a policy is given name: a model's field, an edge, a field to clear or set.

Each is resolved against the installed models as the policy is built, and a
label that names nothing (or nothing the rule can take) is a ``PolicyError``
naming it.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model

from django_graft.exceptions import PolicyError
from django_graft.schema.edges import Edge, edge_by_name, edges_of
from django_graft.schema.labels import concrete, model_label, resolve_model


def split_field_label(label: str) -> tuple[type[Model], str]:
    parts = label.strip().split(".")
    if len(parts) != 3 or not all(parts):
        raise PolicyError(
            f"Invalid label '{label}': expected 'app_label.Model.field', e.g. 'auth.User.groups'.",
            label=label,
        )
    return resolve_model(f"{parts[0]}.{parts[1]}"), parts[2]


def resolve_edge(label: str) -> Edge:
    model, name = split_field_label(label)
    edge = edge_by_name(model, name)
    if edge is None:
        known = ", ".join(sorted(e.name for e in edges_of(model))) or "none"
        raise PolicyError(
            f"Unknown relation '{label}': {model_label(model)} has no relation named "
            f"'{name}'. Its relations are: {known}.",
            label=label,
        )
    return edge


def model_field(label: str) -> tuple[type[Model], Any]:
    model, name = split_field_label(label)
    try:
        return model, model._meta.get_field(name)
    except FieldDoesNotExist:
        known = ", ".join(sorted(f.name for f in model._meta.get_fields()))
        raise PolicyError(
            f"Unknown field '{label}': {model_label(model)} has the fields {known}.",
            label=label,
        ) from None


def clearable_edge(label: str) -> Edge:
    """The edge that ``clear`` skips: a nullable foreign key or a many-to-many field."""
    model, field = model_field(label)
    # A generic foreign key is a relation without a column of its own.
    key = (field.many_to_one or field.one_to_one) and field.concrete
    if not (key or field.many_to_many) or field.auto_created:
        raise PolicyError(
            f"'{label}' cannot be cleared: it is not a foreign key or many-to-many field of "
            f"{model_label(model)}. Give it a value with set_fields instead.",
            label=label,
        )
    if not field.many_to_many and not field.null:
        raise PolicyError(
            f"'{label}' cannot be cleared: the foreign key is not nullable. Give it "
            "another target with set_fields instead.",
            label=label,
        )
    return resolve_edge(label)


def settable_field(label: str) -> tuple[type[Model], str]:
    """``(model, attname)`` of a field ``set_fields`` may give a value.

    A primary key can be given only where nothing else makes it: not the
    database, nor a default, nor the row it links to.
    """
    model, field = model_field(label)
    owner = getattr(field, "model", model)
    if owner is not None and concrete(owner) is not concrete(model):
        raise PolicyError(
            f"'{label}' cannot be set: the field is {model_label(owner)}'s, a multi-table "
            f"parent of {model_label(model)}. Set it there: '{owner._meta.label}.{field.name}'.",
            label=label,
        )
    made = field.primary_key and (
        field.is_relation or field.has_default() or getattr(field, "db_returning", False)
    )
    if not getattr(field, "concrete", False) or field.many_to_many or made:
        raise PolicyError(
            f"'{label}' cannot be set: only a stored column can, and a primary key only "
            "where neither the database nor a default makes it. Use clear for a "
            "many-to-many field.",
            label=label,
        )
    return model, str(field.attname)


#: Hooks a policy can register per model, run by import (and clone):
#: ``pre_save(rows)`` gets each batch of rows about to be created, as a list
#: of ``{attname: value}`` dicts it may change in place; ``post_save(objects)``
#: gets the model instances created (raising aborts and rolls back
#: everything); ``pre_commit()`` runs once, after every row is written.
