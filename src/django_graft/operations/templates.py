"""Templates of archive locations: one place per root, filled from its model and key.

``"s3://bucket/{label}-{pk}.jsonl.zst"`` names the archive of each root of a
run over many (:mod:`django_graft.operations.each`); the manifest of the
run goes beside them unless given a place of its own.
"""

from __future__ import annotations

import os
import string
from typing import Any
from urllib.parse import quote

from django.db.models import Model

from django_graft.exceptions import DestinationError
from django_graft.storage import local_path

#: What a template may name: ``{label}`` (``app_label.model``), ``{app_label}``,
#: ``{model}`` (the model's name, lower case) and ``{pk}``.
PLACEHOLDERS = ("label", "app_label", "model", "pk")
#: The manifest's name, beside the archives, when none is given.
MANIFEST_NAME = "graft-manifest.json"


def check_template(template: str) -> None:
    """Refuse a template that would not give each root a location of its own."""
    if template == "-":
        raise DestinationError("One archive per root cannot go to standard output.", path="-")
    if "\0" in template:
        raise DestinationError(f"{template!r} holds a NUL character.", path=template)
    try:
        fields = [(n, spec, conv) for _, n, spec, conv in string.Formatter().parse(template)]
        names = [name for name, _, _ in fields if name is not None]
        unknown = sorted(set(names) - set(PLACEHOLDERS))
        if any(spec or conversion for name, spec, conversion in fields if name is not None):
            raise ValueError("a placeholder takes no format or conversion")
        if not unknown:
            template.format(**dict.fromkeys(PLACEHOLDERS, "x"))
    except (ValueError, IndexError, KeyError) as exc:
        raise DestinationError(
            f"'{template}' is not a template of archive locations ({exc}). Write placeholders "
            "as {label}, {app_label}, {model} or {pk}; double a brace to write it.",
            path=template,
        ) from None
    if unknown:
        raise DestinationError(
            f"'{template}' names {', '.join(map(repr, unknown))}, which is no placeholder of "
            "an archive location: use {label}, {app_label}, {model} and {pk}.",
            path=template,
        )
    if "pk" not in names:
        raise DestinationError(
            f"'{template}' has no {{pk}}: every root would be written to the same archive. "
            "Put {pk} in the name, e.g. 'archives/{label}-{pk}.jsonl.gz'.",
            path=template,
        )


def archive_location(template: str, model: type[Model], key: Any) -> str:
    """The location of one root's archive: the template with its placeholders filled."""
    parts = key if isinstance(key, list) else [key]
    # A key is one path segment whatever it holds: '/' and '..' in a text key stay in it.
    pk = "|".join(quote(str(part), safe="") for part in parts).replace(".", "%2E")
    meta = model._meta
    return template.format(
        label=meta.label_lower, app_label=meta.app_label, model=meta.model_name, pk=pk
    )


def absolute(location: str) -> str:
    """A local location as an absolute path: a manifest names its archives from anywhere.

    Not normalised: '..' after a placeholder must stay where it is.
    """
    path = local_path(location)
    if path is None or location == "-" or os.path.isabs(path):
        return location
    return os.path.join(os.getcwd(), os.fspath(path))


def default_manifest(template: str) -> str:
    """``graft-manifest.json`` in the folder of the archives (the template's fixed part)."""
    fixed = template.split("{", 1)[0]
    folder = fixed.rsplit("/", 1)[0] + "/" if "/" in fixed else ""
    if folder.endswith("://"):  # a bucket of its own: 's3://{label}/...'
        raise DestinationError(
            f"'{template}' leaves no fixed folder for the manifest: give one with --manifest.",
            path=template,
        )
    return f"{folder}{MANIFEST_NAME}"
