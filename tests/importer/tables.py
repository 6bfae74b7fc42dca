"""Compare tables across databases: rows as tuples, keys followed through a key map."""

from __future__ import annotations

import io
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from typing import Any

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db.models import ForeignObject, Model

from django_graft import export
from django_graft.archive.jsonenc import loads
from django_graft.schema.labels import model_label, resolve_model

KeyMap = Mapping[str, Mapping[Any, Any]]


def archive_of(root: Any, **options: Any) -> bytes:
    buffer = io.BytesIO()
    export(root, buffer, **options)
    return buffer.getvalue()


# The oracle reads the database through the ORM and Django's field API
# only: nothing here comes from the importer it judges.


def own_columns(model: type[Model]) -> list[Any]:
    """The fields stored in ``model``'s own table."""
    return [f for f in model._meta.local_concrete_fields if f.column]


def _key(model: type[Model], value: Any) -> Any:
    """An archive's key as the database holds it (a tuple for a composite key)."""
    pk: Any = model._meta.pk
    parts = getattr(pk, "fields", None)
    if parts:
        return tuple(part.to_python(item) for part, item in zip(parts, value, strict=True))
    return pk.to_python(value)


def _links(model: type[Model]) -> tuple[dict[str, str], set[str], list[tuple[str, str, Any]]]:
    """Columns holding another row's key ``{attname: target label}``, content type
    columns, and generic foreign keys ``(content type attname, id attname, id field)``."""
    mapped, ct_columns = {}, set()
    for f in own_columns(model):
        target: Any = f.related_model
        if not f.is_relation or target is None or not (f.many_to_one or f.one_to_one):
            continue
        if target._meta.concrete_model is ContentType:
            ct_columns.add(f.attname)
        elif f.target_field.primary_key:
            mapped[f.attname] = model_label(target._meta.concrete_model)
    for relation in model._meta.local_fields:
        # A plain column that a ForeignObject reads as another model's key.
        if isinstance(relation, ForeignObject) and not relation.concrete:
            for local, remote in relation.related_fields:
                owner: Any = remote.model
                if not local.is_relation and local.model is model and remote is owner._meta.pk:
                    mapped[local.attname] = model_label(owner._meta.concrete_model)
    generics = []
    for private in model._meta.private_fields:
        if isinstance(private, GenericForeignKey):
            ct: Any = model._meta.get_field(private.ct_field)
            oid: Any = model._meta.get_field(private.fk_field)
            if ct.model is model:
                generics.append((ct.attname, oid.attname, oid))
    return mapped, ct_columns, generics


def archived_keys(data: bytes) -> dict[type[Model], set[Any]]:
    """{model: keys} of the object records in an archive, keys as the database has them."""
    keys: dict[type[Model], set[Any]] = {}
    for line in data.splitlines()[1:-1]:
        record = loads(line)
        if "model" in record:
            model = resolve_model(record["model"])
            keys.setdefault(model, set()).add(_key(model, record["pk"]))
    return keys


def _content_type(ct_id: Any, using: str) -> Any:
    if ct_id is None:
        return None
    return ContentType.objects.db_manager(using).get_for_id(ct_id).natural_key()


def table(
    model: type[Model], keys: AbstractSet[Any], using: str, key_map: KeyMap | None = None
) -> dict[Any, tuple[Any, ...]]:
    """``{key: row}`` for ``keys`` of ``model`` in ``using``, comparable across databases.

    Content type ids become natural keys. With ``key_map``, the key and every
    link of each row are replaced by the keys they were given on import.
    """
    attnames = [f.attname for f in own_columns(model)]
    mapped, ct_columns, generics = _links(model)
    label = model_label(model)
    rows = {}
    manager = model._base_manager.using(using)
    for values in manager.filter(pk__in=list(keys)).values(*attnames, "pk"):
        key = values.pop("pk")
        if key_map is not None:
            key = key_map[label].get(key, key)
            pk_column: Any = model._meta.pk
            if getattr(pk_column, "attname", None) in values:
                values[pk_column.attname] = key
                mapped.pop(pk_column.attname, None)  # a parent link, mapped just now
            for attname, target in mapped.items():
                if values[attname] is not None and attname not in ct_columns:
                    values[attname] = key_map.get(target, {}).get(values[attname], values[attname])
            for ct_attname, id_attname, id_field in generics:
                ct_id, object_id = values[ct_attname], values[id_attname]
                if ct_id is None or object_id is None:
                    continue
                target_model = ContentType.objects.db_manager(using).get_for_id(ct_id).model_class()
                assert target_model is not None
                pk: Any = target_model._meta.pk
                new = key_map.get(model_label(target_model), {}).get(pk.to_python(object_id))
                if new is not None:
                    values[id_attname] = id_field.to_python(new)
        for attname in ct_columns:
            values[attname] = _content_type(values[attname], using)
        rows[key] = tuple(values[a] for a in attnames if a in values)
    return rows


def new_keys(model: type[Model], keys: set[Any], key_map: KeyMap) -> set[Any]:
    found = key_map[model_label(model)]
    return {found.get(key, key) for key in keys}


def rewrite(data: bytes, change: Any) -> bytes:
    """Apply ``change(header, items) -> (header, items)`` and re-seal the archive.

    The new trailer is signed with the test settings' SECRET_KEY, as this
    installation would sign it.
    """
    import hashlib

    from django_graft.archive.jsonenc import dumps, loads
    from tests.archive.signatures import signature_of

    lines = [loads(line) for line in data.splitlines()]
    header, items = change(lines[0], lines[1:-1])
    body = [dumps(header) + b"\n", *(dumps(item) + b"\n" for item in items)]
    counts: dict[str, int] = {}
    references: dict[str, int] = {}
    links: dict[str, int] = {}
    for item in items:
        kind, label = next((k, str(item[k])) for k in ("ref", "link", "model") if k in item)
        tally = {"ref": references, "link": links, "model": counts}[kind]
        tally[label] = tally.get(label, 0) + 1
    digest = hashlib.sha256(b"".join(body)).hexdigest()
    trailer = {"end": True, "counts": counts, "references": references, "sha256": digest}
    if links:
        trailer["links"] = links
    trailer["signature"] = signature_of(digest)
    return b"".join(body) + dumps(trailer) + b"\n"
