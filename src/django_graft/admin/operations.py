"""Run a confirmed admin operation and fill its audit log entry.

The same for the request that confirms it and for the background task that
runs it later: the walk (a :class:`~.preview.Preview`) is done by the
caller, which has checked it allows the operation.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from django_graft.admin.preview import Preview
from django_graft.admin.secrets import export_policy
from django_graft.exceptions import GraftError
from django_graft.operations import audit
from django_graft.operations.clone import clone
from django_graft.operations.delete import delete
from django_graft.operations.export import export
from django_graft.policy.loading import default_policy
from django_graft.schema.labels import model_label
from django_graft.schema.setfields import SetFieldError, field_value


def roots_of(preview: Preview) -> list[str]:
    return [f"{model_label(type(obj))}:{obj.pk}" for obj in preview.objects]


def recorded(preview: Preview, user: Any) -> AbstractContextManager[audit.Entry]:
    """The audit log entry of ``preview``'s operation, run by ``user`` from the admin."""
    return audit.recorded(
        preview.operation,
        via="admin",
        database=preview.graph.using,
        roots=roots_of(preview),
        user=user,
    )


def set_fields(typed: dict[str, str]) -> dict[str, Any]:
    """The clone's ``set_fields`` from the values typed in its form, read by their fields."""
    values = {}
    for label, raw in typed.items():
        try:
            values[label] = field_value(label, raw)
        except SetFieldError as exc:
            raise GraftError(f"{label}: {exc}") from None
    return values


def perform(preview: Preview, options: dict[str, Any], entry: audit.Entry) -> Any:
    """Run the operation; return its result.

    ``options``: for an export ``location`` and ``format`` (and ``recorded_as``,
    what the log says of a file only downloaded); for a delete ``archive``;
    for a clone ``set``, the values for the copies as typed (JSON, as a
    background job's arguments must be).
    """
    using = preview.graph.using
    if preview.operation == "export":
        exported = export(
            preview.objects,
            options["location"],
            policy=export_policy(default_policy()),
            using=using,
            format=options["format"],
        )
        entry.counts, entry.sha256 = exported.counts, exported.sha256
        entry.location = options.get("recorded_as", exported.destination)
        return exported
    if preview.operation == "clone":
        values = set_fields(options.get("set") or {})
        cloned = clone(preview.objects, policy=default_policy(), using=using, set_fields=values)
        entry.counts = {label: r.created for label, r in cloned.models.items() if r.created}
        return cloned
    deleted = delete(
        preview.objects, policy=default_policy(), using=using, archive=options.get("archive")
    )
    entry.counts = deleted.deleted
    if deleted.archive is not None:
        entry.location, entry.sha256 = deleted.archive.destination, deleted.archive.sha256
    return deleted
