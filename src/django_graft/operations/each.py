"""Export every root to an archive of its own, with a manifest of the run.

``export_each(roots, "s3://bucket/{label}-{pk}.jsonl.zst")`` exports each
root alone, as ``export()`` would, to the location its placeholders name,
and keeps a manifest (:mod:`django_graft.operations.manifest`) of every
root: its archive, the archive's sha256, its counts, or the error that
stopped it. One root failing does not stop the others. Run again with the
same manifest, it skips the roots the manifest has done: a run stopped half
way, by an error or a kill, picks up where it was.
"""

from __future__ import annotations

import os
import string
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from django.db.models import Model

from django_graft.exceptions import DestinationError
from django_graft.operations.eachrun import EachResult, Root, run_each
from django_graft.operations.manifest import open_manifest
from django_graft.policy.rules import Policy
from django_graft.schema.fieldtypes import archived_key
from django_graft.schema.labels import model_label
from django_graft.storage import local_path
from django_graft.tree.roots import normalize_roots

#: What a template may name: ``{label}`` (``app_label.model``), ``{app_label}``,
#: ``{model}`` (the model's name, lower case) and ``{pk}``.
PLACEHOLDERS = ("label", "app_label", "model", "pk")
#: The manifest's name, beside the archives, when none is given.
MANIFEST_NAME = "graft-manifest.json"


def check_template(template: str) -> None:
    """Refuse a template that would not give each root a location of its own."""
    if template == "-":
        raise DestinationError("One archive per root cannot go to standard output.", path="-")
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
    """A local location as an absolute path: a manifest names its archives from anywhere."""
    path = local_path(location)
    return os.path.abspath(path) if path is not None and location != "-" else location


def check_places(roots: list[Root], manifest: str) -> None:
    """Refuse a run in which two roots, or a root and the manifest, share a location.

    Names that differ only by case count as the same: they are one file on
    case-insensitive file systems.
    """
    taken: dict[str, str] = {manifest.casefold(): "the manifest"}
    for root in roots:
        place = root.archive.casefold()
        other = taken.get(place)
        if other is not None:
            raise DestinationError(
                f"{model_label(root.model)} {root.key!r} and {other} would both be written "
                f"to '{root.archive}'. Put {{label}} and {{pk}} in the template (and give "
                "the manifest a name no root can take), so that each root has its own place.",
                path=root.archive,
            )
        taken[place] = f"{model_label(root.model)} {root.key!r}"


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


def each_root(by_model: dict[type[Model], list[Any]]) -> Iterator[tuple[type[Model], Any]]:
    for model, keys in by_model.items():
        seen: set[Any] = set()
        for pk in keys:
            if pk not in seen:
                seen.add(pk)
                yield model, pk


def export_each(
    roots: Any,
    destination: str | os.PathLike[str],
    *,
    manifest: str | os.PathLike[str] | None = None,
    policy: Policy | str | None = None,
    using: str | None = None,
    format: str | None = None,
    natural_foreign: bool = False,
    natural_primary: bool = False,
    workers: bool | None = None,
) -> EachResult:
    """Export each of ``roots`` to an archive of its own; keep a manifest of the run.

    ``destination`` is a template of locations (any location ``export()``
    takes, but ``-``) with ``{pk}`` and optionally ``{label}``,
    ``{app_label}`` and ``{model}`` in it. ``manifest`` is where the
    manifest goes: by default ``graft-manifest.json`` in the folder the
    template names. Roots the manifest has done already are skipped.

    ``policy`` is a :class:`Policy` or the dotted path of one. With a task
    backend configured (``TASKS``), each root is a task for the project's
    workers, unless ``workers=False``; a :class:`Policy` object cannot go
    to a worker, so such a run stays in this process unless
    ``workers=True``, which asks for the dotted path.
    """
    extra = {"format": format, "natural_foreign": natural_foreign}
    extra["natural_primary"] = natural_primary
    return _run("export", roots, destination, manifest, policy, using, workers, extra)


def delete_each(
    roots: Any,
    archive: str | os.PathLike[str],
    *,
    manifest: str | os.PathLike[str] | None = None,
    policy: Policy | str | None = None,
    using: str | None = None,
    workers: bool | None = None,
) -> EachResult:
    """Delete each of ``roots`` alone, its archive written and read back first.

    ``archive`` is a template of locations as for :func:`export_each`; each
    root is deleted as ``delete(root, archive=...)`` would, in a
    transaction of its own, so one blocked or failed root leaves the others
    to go on. The manifest notes each root as started before its delete
    runs: a run killed after a delete committed and before the manifest
    said so finds, when run again, the root gone and its archive in place,
    and records it as done from the archive itself.
    """
    return _run("delete", roots, archive, manifest, policy, using, workers, {})


def _run(
    operation: str,
    roots: Any,
    destination: str | os.PathLike[str],
    manifest: str | os.PathLike[str] | None,
    policy: Policy | str | None,
    using: str | None,
    workers: bool | None,
    extra: dict[str, Any],
) -> EachResult:
    template = os.fspath(destination)
    check_template(template)
    template = absolute(template)
    by_model, db = normalize_roots(roots, using)
    location = absolute(os.fspath(manifest)) if manifest is not None else default_manifest(template)
    items = [
        Root(model, pk, key, archive_location(template, model, key))
        for model, pk in each_root(by_model)
        for key in [archived_key(model, pk)]
    ]
    check_places(items, location)
    run = open_manifest(location, operation, template, db)
    options = {"using": db, **extra}
    return run_each(operation, run, items, policy=policy, workers=workers, options=options)
