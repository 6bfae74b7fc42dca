"""What the reference records of an archive name in the target database.

References (content types, permissions, whatever a policy marks) are never
written: each must already exist in the target, found by natural key or by
match fields, in batches. The content type references also tell which
models the archive's generic foreign keys point at, which the write order
needs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model

from django_graft.exceptions import ArchiveFormatError, unresolved
from django_graft.importer.links import KeyMaps
from django_graft.importer.matching import (
    as_tuple,
    find_by_fields,
    find_by_natural_keys,
    has_natural_key,
)
from django_graft.importer.source import ArchiveContents, Reference
from django_graft.schema.labels import concrete, model_label


def resolve_references(
    references: dict[type[Model], list[Reference]],
    keys: KeyMaps,
    using: str,
    *,
    match_fields: Callable[[type[Model]], Sequence[str]],
) -> None:
    """Map every reference record to its row in ``using``, or list the missing ones.

    ``match_fields(model)`` names the fields the import declares to find
    ``model``'s rows by (``--match``, else the policy's): a reference found
    by fields is held to exactly those, never to fields of the archive's
    choosing, which would let an archive ask whether any row holds any value.
    """
    check_match_fields(references, match_fields)
    missing: list[tuple[str, Any]] = []
    for model, refs in references.items():
        label = model_label(model)
        by_key = [r for r in refs if r.natural_key is not None]
        by_match = [r for r in refs if r.natural_key is None and r.match is not None]
        found = find_by_natural_keys(model, [as_tuple(r.natural_key) for r in by_key], using)
        changes = keys.changes[model]
        for ref in by_key:
            key = as_tuple(ref.natural_key)
            if key in found:
                changes[ref.pk] = found[key]
            else:
                missing.append((label, ref.natural_key))
        for fields, group in _group_matches(by_match).items():
            wanted = [tuple(_match_of(r)[f] for f in fields) for r in group]
            found = find_by_fields(model, fields, wanted, using)
            for ref, values in zip(group, wanted, strict=True):
                if values in found:
                    changes[ref.pk] = found[values]
                else:
                    missing.append((label, ref.match))
    if missing:
        raise unresolved(
            missing,
            f"referenced row(s) do not exist in database '{using}'",
            "Create them first (for content types and permissions: run migrate), or export "
            "with a policy that copies them.",
        )


def check_match_fields(
    references: dict[type[Model], list[Reference]],
    match_fields: Callable[[type[Model]], Sequence[str]],
) -> None:
    """Refuse a reference found by fields other than those the import declares."""
    for model, refs in references.items():
        declared = set(match_fields(model))
        for ref in refs:
            if ref.natural_key is not None and not has_natural_key(model):
                label = model_label(model)
                raise ArchiveFormatError(
                    f"Line {ref.line}: the reference to {label} {ref.pk!r} is to be found by "
                    f"natural key, but {label} has no natural_key() and get_by_natural_key(). "
                    "Find it by the fields the import declares: --match "
                    f"{model._meta.label}:FIELD[,FIELD...] (or the policy's match).",
                    line=ref.line,
                )
            if ref.by_key or ref.natural_key is not None or ref.match is None:
                continue
            if set(ref.match) == declared:
                continue
            label = model_label(model)
            names = sorted(map(str, ref.match))
            wanted = ", ".join(sorted(declared)) if declared else "none"
            raise ArchiveFormatError(
                f"Line {ref.line}: the reference to {label} {ref.pk!r} is to be found by "
                f"field(s) {', '.join(names)}, but this import declares {wanted} for {label}. A "
                "reference is found by its natural key or by the fields the import "
                "declares, never by fields the archive chooses. If those fields are the "
                f"right ones, declare them: --match {model._meta.label}:{','.join(names)} "
                "(or the policy's match).",
                line=ref.line,
            )


def generic_pairs(contents: ArchiveContents) -> list[tuple[type[Model], type[Model]]]:
    """``(model, target)`` for the models generic foreign keys point at, from the data."""
    ct_models = _content_type_models(contents)
    pairs = {
        (model, target)
        for model, spool in contents.spools.items()
        for values in spool.generic_targets.values()
        for value in values
        for target in (ct_models.get(value),)
        if target is not None
    }
    return sorted(pairs, key=lambda p: (model_label(p[0]), model_label(p[1])))


def _content_type_models(contents: ArchiveContents) -> dict[Any, type[Model]]:
    """{content type key in the archive: installed model}, from the reference records."""
    found: dict[Any, type[Model]] = {}
    for ref in contents.references.get(ContentType, []):
        if ref.natural_key and len(ref.natural_key) == 2:
            try:
                found[ref.pk] = concrete(apps.get_model(*ref.natural_key))
            except LookupError:
                continue
    return found


def _match_of(ref: Reference) -> dict[str, Any]:
    assert ref.match is not None
    return ref.match


def _group_matches(refs: list[Reference]) -> dict[tuple[str, ...], list[Reference]]:
    groups: dict[tuple[str, ...], list[Reference]] = {}
    for ref in refs:
        assert ref.match is not None
        groups.setdefault(tuple(sorted(ref.match)), []).append(ref)
    return groups
