"""The manifest of a run over many roots: one entry per root and what became of it.

A JSON document at any location an archive can go to, rewritten (all or
nothing, as archives are) while the run goes on, so that a run stopped half
way, by an error or a kill, can be run again with the same manifest and
skip the roots already done. A manifest read back is untrusted input like
any archive: its shape is checked, and one that does not fit is refused by
name.

::

    {"format": "django-graft-manifest", "version": 1, "operation": "export",
     "template": "s3://bucket/{label}-{pk}.jsonl.zst", "database": "default",
     "created_at": "...", "updated_at": "...",
     "roots": [{"model": "tenants.organisation", "pk": 7,
                "archive": "s3://bucket/tenants.organisation-7.jsonl.zst",
                "outcome": "done", "sha256": "...", "counts": {...},
                "finished_at": "..."},
               {"model": "tenants.organisation", "pk": 8, "archive": "...",
                "outcome": "failed", "error": "...", "finished_at": "..."}]}
"""

from __future__ import annotations

import datetime
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from django_graft.exceptions import ManifestError
from django_graft.storage import exists, local_path, make_folder, open_for_read, open_for_write

FORMAT = "django-graft-manifest"
VERSION = 1
#: "started": a delete begun and not known to have ended (see each.delete_each).
OUTCOMES = ("done", "failed", "started")
#: A manifest larger than this is refused unread: about 800,000 roots,
#: which take about 1 GB of memory once read.
MAX_BYTES = 128 << 20
#: How often, at most, a run rewrites its manifest (and always at its end);
#: never more than a tenth of the run's time goes to it, however large it grows.
SAVE_EVERY = 5.0

_SHA256 = re.compile(r"[0-9a-f]{64}")


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat()


@dataclass(slots=True)
class Entry:
    """One root of the run."""

    model: str
    pk: Any
    archive: str
    outcome: str
    sha256: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    finished_at: str = field(default_factory=now)
    #: When a delete of the root was first begun under this manifest: an
    #: archive written since then is this run's own (see eachroot.settle_started).
    started_at: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.model, json.dumps(self.pk)

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"model": self.model, "pk": self.pk, "archive": self.archive}
        data["outcome"] = self.outcome
        if self.sha256 is not None:
            data["sha256"] = self.sha256
        if self.counts:
            data["counts"] = self.counts
        if self.error is not None:
            data["error"] = self.error
        data["finished_at"] = self.finished_at
        if self.started_at is not None:
            data["started_at"] = self.started_at
        return data


@dataclass
class Manifest:
    location: str
    operation: str
    template: str
    database: str
    created_at: str = field(default_factory=now)
    entries: dict[tuple[str, str], Entry] = field(default_factory=dict)
    _saved_at: float = field(default=0.0, repr=False)
    _saving_takes: float = field(default=0.0, repr=False)

    def done(self, model: str, pk: Any) -> Entry | None:
        """The entry of a root already done, if it is."""
        entry = self.entries.get((model, json.dumps(pk)))
        return entry if entry is not None and entry.outcome == "done" else None

    def record(self, entry: Entry) -> None:
        before = self.entries.get(entry.key)
        if before is not None and entry.started_at is None:
            entry.started_at = before.started_at
        self.entries[entry.key] = entry
        if time.monotonic() - self._saved_at >= max(SAVE_EVERY, 10 * self._saving_takes):
            self.save()

    def as_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "operation": self.operation,
            "template": self.template,
            "database": self.database,
            "created_at": self.created_at,
            "updated_at": now(),
            "roots": [entry.as_json() for entry in self.entries.values()],
        }

    def save(self) -> None:
        started = time.monotonic()
        # ASCII: a string of the manifest read back may hold a lone surrogate.
        text = json.dumps(self.as_json(), indent=1)
        make_folder(self.location)
        with open_for_write(self.location) as stream:
            stream.write(text.encode())
        self._saved_at = time.monotonic()
        self._saving_takes = self._saved_at - started


def check_location(location: str) -> None:
    """Refuse a place a manifest cannot be kept at, before the run begins."""
    if location == "-" or "\0" in location:
        raise ManifestError(
            f"A manifest cannot be kept at {location!r}: it must be read back by the next run. "
            "Give a path or a URL.",
            location=location,
        )
    path = local_path(location)
    if path is not None and path.is_dir():
        raise ManifestError(
            f"'{location}' is a folder: give the manifest a file name, e.g. "
            f"'{location.rstrip('/')}/graft-manifest.json'.",
            location=location,
        )


def open_manifest(location: str, operation: str, template: str, database: str) -> Manifest:
    """The manifest at ``location``, or a new one when there is none yet."""
    check_location(location)
    manifest = Manifest(location, operation, template, database)
    data = _read(location)
    if data is None:
        return manifest
    _check_header(data, location)
    if (data["operation"], data["template"], data["database"]) != (operation, template, database):
        raise ManifestError(
            f"'{location}' is the manifest of {data['operation']!r} with {data['template']!r} "
            f"on the database {data['database']!r}, not of {operation!r} with {template!r} on "
            f"{database!r}. Give this run another --manifest, or remove that one to start "
            "again.",
            location=location,
        )
    manifest.created_at = str(data.get("created_at") or manifest.created_at)
    for number, item in enumerate(data["roots"], start=1):
        entry = _entry(item, number, location)
        manifest.entries[entry.key] = entry
    return manifest


def read_manifest(location: str) -> dict[str, Any]:
    """A manifest read and checked, as JSON: for a run that follows another's manifest."""
    check_location(location)
    data = _read(location)
    if data is None:
        raise ManifestError(f"There is no manifest at '{location}'.", location=location)
    _check_header(data, location)
    data["roots"] = [_entry(item, n, location) for n, item in enumerate(data["roots"], start=1)]
    return data


def _read(location: str) -> dict[str, Any] | None:
    if not exists(location):
        return None
    with open_for_read(location) as stream:
        raw = stream.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise ManifestError(
            f"'{location}' is larger than a manifest can be ({MAX_BYTES} bytes).",
            location=location,
        )
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise ManifestError(
            f"'{location}' is not a django-graft manifest: it is not JSON.", location=location
        ) from None
    if not isinstance(data, dict):
        raise ManifestError(
            f"'{location}' is not a django-graft manifest: not a JSON object.", location=location
        )
    return data


def _check_header(data: dict[str, Any], location: str) -> None:
    if data.get("format") != FORMAT or data.get("version") != VERSION:
        raise ManifestError(
            f"'{location}' is not a django-graft manifest of version {VERSION} (its format "
            f"{data.get('format')!r}, version {data.get('version')!r}).",
            location=location,
        )
    for name in ("operation", "template", "database"):
        if not isinstance(data.get(name), str):
            raise ManifestError(
                f"'{location}': the manifest's {name!r} must be a string.", location=location
            )
    if not isinstance(data.get("roots"), list):
        raise ManifestError(
            f"'{location}': the manifest's 'roots' must be a list.", location=location
        )


def _entry(item: Any, number: int, location: str) -> Entry:
    def refuse(what: str) -> ManifestError:
        return ManifestError(f"'{location}', root {number}: {what}.", location=location)

    if not isinstance(item, dict):
        raise refuse("not a JSON object")
    for name in ("model", "archive", "outcome", "finished_at"):
        if not isinstance(item.get(name), str):
            raise refuse(f"{name!r} must be a string")
    if item["outcome"] not in OUTCOMES:
        raise refuse(f"outcome {item['outcome']!r} is none of {', '.join(OUTCOMES)}")
    pk = item.get("pk")
    if not _is_key(pk):
        raise refuse(f"pk {pk!r} is not a key (a string, an integer, or a list of them)")
    sha256 = item.get("sha256")
    if sha256 is not None and not (isinstance(sha256, str) and _SHA256.fullmatch(sha256)):
        raise refuse("sha256 must be 64 lower-case hexadecimal digits")
    if item["outcome"] == "done" and sha256 is None:
        raise refuse("a root done has the sha256 of its archive")
    counts = item.get("counts", {})
    if not (
        isinstance(counts, dict)
        and all(isinstance(k, str) and type(v) is int and v >= 0 for k, v in counts.items())
    ):
        raise refuse("counts must map model labels to numbers of rows")
    error = item.get("error")
    if error is not None and not isinstance(error, str):
        raise refuse("error must be a string")
    started_at = item.get("started_at")
    if started_at is not None and not isinstance(started_at, str):
        raise refuse("started_at must be a string")
    return Entry(
        model=item["model"],
        pk=pk,
        archive=item["archive"],
        outcome=item["outcome"],
        sha256=sha256,
        counts=counts,
        error=error,
        finished_at=item["finished_at"],
        started_at=started_at,
    )


def _is_key(value: Any) -> bool:
    if isinstance(value, list):
        return bool(value) and all(_is_key(part) and not isinstance(part, list) for part in value)
    return isinstance(value, str) or (type(value) is int and -(2**63) <= value < 2**63)
