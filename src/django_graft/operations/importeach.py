"""Import the archives a manifest lists, one root at a time, with a manifest of its own.

``import_each("s3://bucket/graft-manifest.json", using="new")`` imports each
archive an export (or a delete) recorded as done, after checking it is
still the archive the manifest names (its sha256). The import keeps its own
manifest (by default beside the one it reads: ``graft-manifest.import-new.json``),
so a rerun skips the archives already imported. An import of a root runs in
one transaction; the roots are independent, and one failing leaves the
others to go on.

A rerun can meet an archive whose import committed just before a kill, the
manifest not yet saved: imported again, with its keys kept, it finds its
rows there, unchanged, and writes nothing; remapped, it would create them a
second time, so a remapping run must ``sync`` (whose ledger knows the rows
it created).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS

from django_graft.exceptions import GraftError, ManifestError, PolicyError
from django_graft.operations.eachrun import EachResult, Root, run_each
from django_graft.operations.manifest import Entry, open_manifest, read_manifest
from django_graft.operations.templates import archive_location, check_template
from django_graft.policy.rules import Policy
from django_graft.schema.labels import concrete, resolve_model
from django_graft.storage import local_path
from django_graft.tree.roots import key_from_json

#: The operations whose manifests list archives to import.
IMPORTABLE = ("export", "delete")


def progress_location(source: str, using: str) -> str:
    """Beside the manifest read: ``graft-manifest.json`` -> ``graft-manifest.import-ALIAS.json``."""
    stem = source[: -len(".json")] if source.endswith(".json") else source
    return f"{stem}.import-{using}.json"


def import_each(
    source: str | os.PathLike[str],
    *,
    using: str | None = None,
    manifest: str | os.PathLike[str] | None = None,
    pks: str = "keep",
    on_conflict: str = "fail",
    match: Mapping[str, Sequence[str]] | None = None,
    policy: Policy | str | None = None,
    trust_unsigned: bool = False,
    sync: bool = False,
    workers: bool | None = None,
) -> EachResult:
    """Import every archive the manifest at ``source`` lists as done, each on its own.

    The options are those of :func:`~django_graft.import_archive`, for every
    archive. ``manifest`` is where this run's own manifest goes. With a task
    backend configured, each archive is a task for the project's workers, as
    for :func:`~django_graft.export_each`.
    """
    db = using or DEFAULT_DB_ALIAS
    listed = os.fspath(source)
    if pks == "remap" and not sync:
        raise PolicyError(
            "Importing a manifest's archives with new keys (remap) must sync: a rerun would "
            "otherwise create again the rows of an archive imported just before a stop. "
            "Add --sync, or keep the keys."
        )
    read = read_manifest(listed)
    if read["operation"] not in IMPORTABLE:
        raise ManifestError(
            f"'{listed}' is the manifest of {read['operation']!r}, which lists no archives to "
            "import: give the manifest of an export or of a delete with archives.",
            location=listed,
        )
    check_template_place(read["template"], listed)
    location = os.fspath(manifest) if manifest is not None else progress_location(listed, db)
    run = open_manifest(location, "import", listed, db)
    options: dict[str, Any] = {"using": db, "pks": pks, "on_conflict": on_conflict}
    options.update(match=dict(match or {}), trust_unsigned=trust_unsigned, sync=sync)
    missing: list[Entry] = []
    roots = list(_roots(read["roots"], read["template"], missing, listed))
    result = run_each("import", run, roots, policy=policy, workers=workers, options=options)
    if missing:
        for entry in missing:
            run.entries[entry.key] = entry
        result.failed.extend(missing)
        run.save()
    return result


def check_template_place(template: str, manifest: str) -> None:
    """Refuse a manifest whose archives are not where it is: another bucket, host or kind.

    A manifest is untrusted input: it must not send the import to read a
    file of this machine, another bucket or a server on the network.
    """
    try:
        check_template(template)
    except GraftError as exc:
        raise ManifestError(f"'{manifest}': {exc.message}", location=manifest) from None
    if place_of(template) != place_of(manifest):
        raise ManifestError(
            f"'{manifest}' lists archives at '{template}', which is not where the manifest "
            "is (another kind of location, bucket, host or storage). Keep the archives "
            "beside their manifest.",
            location=manifest,
        )


def place_of(location: str) -> tuple[str, str]:
    """The kind of a location and its bucket, host or storage alias ('' for a local path)."""
    if local_path(location) is not None:
        return "file", ""
    protocol, _, rest = location.partition("://")
    return protocol.lower(), rest.split("/", 1)[0]


def _roots(
    entries: list[Entry], template: str, missing: list[Entry], manifest: str
) -> Iterator[Root]:
    """The roots of the archives to import; those that cannot be go to ``missing``."""
    for entry in entries:
        if entry.outcome != "done":
            continue
        try:
            model = concrete(resolve_model(entry.model))
        except GraftError:
            error = f"The model {entry.model} is not installed here."
            missing.append(Entry(entry.model, entry.pk, entry.archive, "failed", error=error))
            continue
        if entry.archive != archive_location(template, model, entry.pk):
            raise ManifestError(
                f"'{manifest}': the archive of {entry.model} {entry.pk!r}, '{entry.archive}', "
                f"is not where the manifest's template puts it.",
                location=manifest,
            )
        try:
            pk = key_from_json(model, entry.pk)
        except GraftError as exc:
            raise ManifestError(f"'{manifest}': {exc.message}", location=manifest) from None
        yield Root(model, pk, entry.pk, entry.archive, expect=entry.sha256)
