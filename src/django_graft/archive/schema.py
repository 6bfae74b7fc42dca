"""Describe a model's table so an archive can tell when the schema drifted."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db.models import Field, Model

from django_graft.archive.jsonenc import canonical
from django_graft.schema.labels import model_label


def stored_fields(model: type[Model]) -> list[Field[Any, Any]]:
    """The fields whose values live in this model's own table, in table order."""
    return [f for f in model._meta.local_concrete_fields if f.column]


def written_fields(model: type[Model]) -> list[Field[Any, Any]]:
    """The stored fields an insert writes: all but the columns the database computes."""
    return [f for f in stored_fields(model) if not getattr(f, "generated", False)]


def describe_field(field: Field[Any, Any]) -> dict[str, Any]:
    info: dict[str, Any] = {"type": field.get_internal_type()}
    if field.primary_key:
        info["pk"] = True
    if field.null:
        info["null"] = True
    if field.is_relation and field.related_model is not None:
        related = field.related_model
        assert not isinstance(related, str)
        info["to"] = model_label(related)
        info["to_field"] = field.target_field.name  # type: ignore[attr-defined]
    return info


def describe_model(model: type[Model]) -> dict[str, Any]:
    """Return ``{"fingerprint": "sha256:...", "fields": {name: {...}}[, "pk": [names]]}``."""
    description: dict[str, Any] = {
        "fields": {f.name: describe_field(f) for f in stored_fields(model)}
    }
    pk = model._meta.pk
    if pk is not None and hasattr(pk, "fields"):  # CompositePrimaryKey (Django 5.2+)
        description["pk"] = [f.name for f in pk.fields]
    digest = hashlib.sha256(canonical(description)).hexdigest()
    return {"fingerprint": f"sha256:{digest}", **description}
