"""Compare the models an archive was written for with the installed ones."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import NOT_PROVIDED, Model

from django_graft.archive.schema import describe_model
from django_graft.exceptions import ArchiveFormatError, SchemaDriftError
from django_graft.schema.labels import model_label


@dataclass
class Drift:
    """How an archive's models differ from the installed ones."""

    #: {model: names of the archive's fields the model still has}
    fields: dict[type[Model], set[str]] = field(default_factory=dict)
    #: Differences that are allowed, to show in the report.
    warnings: list[str] = field(default_factory=list)


def _has_default(model: type[Model], name: str) -> bool:
    f: Any = model._meta.get_field(name)
    db_default = getattr(f, "db_default", NOT_PROVIDED)  # Django 5.0+
    return bool(f.null or f.default is not NOT_PROVIDED or db_default is not NOT_PROVIDED)


def _takes_a_default(model: type[Model], name: str) -> bool:
    """Whether a field left out of the archive can be filled in: a default, or ``""``."""
    f: Any = model._meta.get_field(name)
    return _has_default(model, name) or bool(f.empty_strings_allowed)


def check_drift(
    header: dict[str, Any], models: list[type[Model]], *, ignore_missing_fields: bool
) -> Drift:
    """Name every drifted field of ``models``; raise when the import cannot go ahead.

    * a field the archive has and the model lost is an error, unless
      ``ignore_missing_fields`` (then its values are dropped);
    * a field the model gained takes its default, and is an error when it has none;
    * a field whose type changed is reported, and its values are read by the new type;
    * a field the export left out (``left_out``: excluded by its policy, or a secret
      an admin export withholds) takes its default, or ``""`` for text; it is an
      error when it can take neither.
    """
    described: Any = header.get("models") or {}
    if not isinstance(described, dict):
        raise ArchiveFormatError(
            "The archive header's 'models' is not an object mapping model labels to their "
            "fields: the archive was not written by django-graft, or was altered.",
            line=1,
        )
    drift = Drift()
    errors: list[str] = []
    for model in models:
        label = model_label(model)
        installed = describe_model(model)
        archived = described.get(label)
        if not isinstance(archived, dict) or not isinstance(archived.get("fields"), dict):
            errors.append(f"{label}: the archive header does not describe this model")
            continue
        theirs: dict[str, Any] = archived["fields"]
        ours: dict[str, Any] = installed["fields"]
        left_out = archived.get("left_out") or []
        if not isinstance(left_out, list) or not all(
            isinstance(name, str) and name in theirs for name in left_out
        ):
            errors.append(f"{label}: the archive header's left_out names fields it does not have")
            continue
        drift.fields[model] = {name for name in theirs if name in ours and name not in left_out}
        for name in sorted(set(left_out) & set(ours)):
            if _takes_a_default(model, name):
                drift.warnings.append(
                    f"{label}.{name} was left out of the archive; it takes its default"
                )
            else:
                errors.append(f"{label}.{name} was left out of the archive and has no default")
        # The fields are compared even where the fingerprints agree: the
        # fingerprint is the archive's own word, and a field it hides would
        # have its values dropped unread.
        for name in sorted(set(theirs) - set(ours)):
            message = f"{label}.{name} is in the archive but no longer on the model"
            if ignore_missing_fields:
                drift.warnings.append(message + "; its values are dropped")
            else:
                errors.append(message)
        for name in sorted(set(ours) - set(theirs)):
            message = f"{label}.{name} is new on the model"
            if _has_default(model, name):
                drift.warnings.append(message + "; it takes its default")
            else:
                errors.append(message + " and has no default")
        for name in sorted(set(ours) & set(theirs)):
            about = theirs[name] if isinstance(theirs[name], dict) else {}
            before, after = about.get("type"), ours[name].get("type")
            if before != after:
                drift.warnings.append(
                    f"{label}.{name} changed type from {before} to {after}; values are "
                    "read as the new type"
                )
    if errors:
        listed = "\n  ".join(errors)
        raise SchemaDriftError(
            f"The archive does not fit the installed models:\n  {listed}\n"
            "Migrate the models to match the archive, or pass --ignore-missing-fields "
            "to drop the values of removed fields.",
            drift=errors,
        )
    return drift
