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
from collections.abc import Iterator
from typing import Any

from django.db.models import Model

from django_graft.exceptions import DestinationError
from django_graft.operations.eachroot import manifest_key
from django_graft.operations.eachrun import EachResult, Root, run_each
from django_graft.operations.manifest import open_manifest
from django_graft.operations.templates import (
    absolute,
    archive_location,
    check_template,
    default_manifest,
)
from django_graft.policy.rules import Policy
from django_graft.schema.labels import model_label
from django_graft.storage import local_path
from django_graft.tree.roots import normalize_roots


def check_places(roots: list[Root], manifest: str) -> None:
    """Refuse a run in which two roots, or a root and the manifest, share a location.

    Local names are compared as the file system compares them (``normcase``).
    """

    def place_of(location: str) -> str:
        # '..' in a local path is resolved by the file system: the files are what count.
        local = local_path(location) is not None
        return os.path.normcase(os.path.normpath(location)) if local else location

    taken: dict[str, str] = {place_of(manifest): "the manifest"}
    for root in roots:
        place = place_of(root.archive)
        other = taken.get(place)
        if other is not None:
            raise DestinationError(
                f"{model_label(root.model)} {root.key!r} and {other} would both be written "
                f"to '{root.archive}'. Put {{label}} and {{pk}} in the template (and give "
                "the manifest a name no root can take), so that each root has its own place.",
                path=root.archive,
            )
        taken[place] = f"{model_label(root.model)} {root.key!r}"


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
        for key in [manifest_key(model, pk)]
    ]
    check_places(items, location)
    run = open_manifest(location, operation, template, db)
    options = {"using": db, **extra}
    return run_each(operation, run, items, policy=policy, workers=workers, options=options)
