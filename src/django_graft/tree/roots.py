"""Parse the root specifications users type: ``app.Model:PK[,PK...]``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldError, ValidationError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, transaction
from django.db.models import Model, QuerySet

from django_graft.exceptions import PolicyError, SpecError
from django_graft.schema.labels import concrete, resolve_model

SPEC_FORM = "'app_label.Model:PK[,PK...]', e.g. 'tenants.Organisation:1'"


def _key(model: type[Model], raw: str, spec: str) -> Any:
    pk = model._meta.pk
    if hasattr(pk, "fields"):  # a CompositePrimaryKey: 'a|b'
        parts = raw.split("|")
        if len(parts) != len(pk.fields):
            raise SpecError(
                f"'{spec}': {model._meta.label} has a composite primary key of "
                f"{len(pk.fields)} fields; write each key as its values joined by '|', "
                "e.g. '1|2'.",
                spec=spec,
            )
        return tuple(_to_python(f, p, model, spec) for f, p in zip(pk.fields, parts, strict=True))
    assert pk is not None
    return _to_python(pk, raw, model, spec)


def _to_python(field: Any, raw: str, model: type[Model], spec: str) -> Any:
    target = field
    while target.remote_field is not None:  # a primary key that is a foreign key (MTI)
        target = target.target_field
    try:
        return target.to_python(raw)
    except ValidationError:
        raise SpecError(
            f"'{spec}': '{raw}' is not a valid primary key for {model._meta.label} "
            f"({target.get_internal_type()}).",
            spec=spec,
        ) from None


def key_from_json(model: type[Model], value: Any) -> Any:
    """The key an archive or a manifest holds as JSON, as the model's key field gives it."""
    pk = model._meta.pk
    label = model._meta.label_lower
    refused = SpecError(f"{value!r} is not a key of {label}.", spec=label)
    composite = hasattr(pk, "fields")
    if composite and not (isinstance(value, list) and len(value) == len(pk.fields)):
        raise refused
    if not composite and (isinstance(value, list | dict | bool) or value is None):
        raise refused
    try:
        if composite:
            parts = zip(pk.fields, value, strict=True)
            return tuple(_to_python(field, part, model, label) for field, part in parts)
        return _to_python(pk, value, model, label)
    except (SpecError, TypeError, ValueError):
        raise refused from None


def parse_spec(spec: str) -> tuple[type[Model], list[Any]]:
    """Return the concrete model and primary keys named by one specification."""
    label, sep, raw_keys = spec.partition(":")
    if not sep or not raw_keys.strip():
        raise SpecError(
            f"'{spec}' names no primary key: expected {SPEC_FORM}.",
            spec=spec,
        )
    try:
        model = resolve_model(label)
    except PolicyError as exc:
        raise SpecError(f"'{spec}': {exc.message} Expected {SPEC_FORM}.", spec=spec) from None
    keys = [_key(model, part.strip(), spec) for part in raw_keys.split(",") if part.strip()]
    if not keys:
        raise SpecError(f"'{spec}' names no primary key: expected {SPEC_FORM}.", spec=spec)
    return concrete(model), keys


def parse_specs(specs: list[str]) -> dict[type[Model], list[Any]]:
    """Parse several specifications, merging keys of the same model."""
    roots: dict[type[Model], list[Any]] = {}
    for spec in specs:
        model, keys = parse_spec(spec)
        roots.setdefault(model, []).extend(keys)
    return roots


def normalize_roots(roots: Any, using: str | None) -> tuple[dict[type[Model], list[Any]], str]:
    """Turn what the API accepts as roots into ``({Model: [pk, ...]}, database alias)``.

    Accepted: a mapping ``{Model: [pk, ...]}``, a queryset, one model
    instance or specification string, or an iterable of instances and
    specification strings (``"app.Model:1,2"``).
    """
    if isinstance(roots, QuerySet):
        pks = list(roots.values_list("pk", flat=True))
        return {concrete(roots.model): pks}, using or roots.db
    if isinstance(roots, dict):
        return {concrete(m): list(keys) for m, keys in roots.items()}, using or DEFAULT_DB_ALIAS
    if isinstance(roots, Model | str):
        roots = [roots]
    by_model: dict[type[Model], list[Any]] = {}
    db = using
    for item in roots:
        if isinstance(item, str):
            model, keys = parse_spec(item)
            by_model.setdefault(model, []).extend(keys)
        elif isinstance(item, Model):
            by_model.setdefault(concrete(type(item)), []).append(item.pk)
            db = db or item._state.db
        else:
            raise SpecError(
                f"Cannot use {item!r} as a root: give model instances, a queryset, "
                f"or specifications of the form {SPEC_FORM}."
            )
    return by_model, db or DEFAULT_DB_ALIAS


#: What a lookup with a value its field cannot take raises, by the field's
#: conversion, the lookup's, or the database's (a regular expression it cannot compile).
FILTER_ERRORS = (
    FieldError,
    ValidationError,
    ValueError,
    TypeError,
    IndexError,
    OverflowError,
    DatabaseError,
)

#: Lookups whose value is not one value of the field.
_BOOLEAN_LOOKUPS = ("__isnull",)
_LIST_LOOKUPS = ("__in", "__range")


def _filter_value(lookup: str, raw: str, text: str) -> Any:
    if lookup.endswith(_BOOLEAN_LOOKUPS):
        if raw.lower() not in {"true", "false"}:
            raise SpecError(f"--filter '{text}': {lookup} takes true or false.", spec=text)
        return raw.lower() == "true"
    if lookup.endswith(_LIST_LOOKUPS):
        return [part.strip() for part in raw.split(",")]
    return raw


def filtered_roots(
    labels: list[str], filters: list[str], using: str
) -> dict[type[Model], list[Any]]:
    """Every row of the models ``labels`` names that passes ``filters`` (``FIELD=VALUE``).

    A filter is a queryset lookup (``plan__name=gold``, ``created__year=2020``,
    ``id__in=1,2,3``, ``closed_at__isnull=true``); the values are strings
    the field converts, as in a URL's query. The rows come from the model's
    default manager, in key order.
    """
    lookups: dict[str, Any] = {}
    for text in filters:
        lookup, sep, raw = text.partition("=")
        if not sep or not lookup.strip():
            raise SpecError(f"--filter '{text}' is not FIELD=VALUE, e.g. plan__name=gold.")
        lookups[lookup.strip()] = _filter_value(lookup.strip(), raw, text)
    roots: dict[type[Model], list[Any]] = {}
    for label in labels:
        if ":" in label:
            raise SpecError(
                f"'{label}': with --filter, name models only (app.Model), not keys.", spec=label
            )
        try:
            named = resolve_model(label)
        except PolicyError as exc:
            raise SpecError(f"'{label}': {exc.message}", spec=label) from None
        # The model named (a proxy, say) chooses the rows, through its own manager.
        model = concrete(named)
        try:
            query = named._default_manager.using(using).filter(**lookups).order_by("pk")
            # In a savepoint: a value the database refuses leaves a transaction usable.
            with transaction.atomic(using=using):
                keys = list(query.values_list("pk", flat=True))
        except FILTER_ERRORS as exc:
            message = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            raise SpecError(
                f"--filter {' '.join(filters)} does not apply to {named._meta.label}: {message}",
                spec=label,
            ) from None
        found = roots.setdefault(model, [])
        seen = set(found)
        found.extend(key for key in keys if key not in seen)
    return roots
