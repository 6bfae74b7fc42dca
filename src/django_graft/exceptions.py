"""The exceptions django-graft raises.

Every error carries a stable machine-readable ``code`` and a message that
names the object at fault and the fix. Management commands turn any of them
into a ``CommandError``; the Python API lets them propagate.

::

    GraftError
    ├── PolicyError            a policy names something that does not exist,
    │                          or asks for a rule the relation cannot take
    ├── MissingDependency      an optional library is not installed (names the extra)
    ├── LimitExceeded          an operation is larger than GRAFT["MAX_ROWS"] allows
    ├── DynamicEdgeError       a declared dynamic edge meets a value that is not a key
    ├── SpecError              a root specification cannot be parsed
    │   └── ObjectNotFound     a root names a row that does not exist
    ├── ArchiveError           an archive cannot be written or read
    │   ├── DestinationError   the destination cannot be opened for writing
    │   ├── ArchiveFormatError the archive is not valid (carries ``line``)
    │   └── SchemaDriftError   the archive's models differ from the installed ones
    ├── ImportRefused          an import was planned and refused before any write
    │   ├── ConflictError      rows collide with existing rows (carries ``conflicts``)
    │   ├── UnresolvedReference reference records match no row in the target
    │   ├── AmbiguousMatch     a match finds several existing rows for one record
    │   ├── ImportWriteError   the database refused a write; everything rolled back
    │   ├── PermissionRefused  the import's user may not write or read what it would
    │   │                      (carries ``lacking``)
    │   ├── CrossLinkError     a clone would link copies and originals (carries ``rows``)
    │   └── UntrustedArchive   an archive this installation did not sign asks for
    │                          what only a signed one may do (carries ``signature``)
    └── DeleteRefused          a delete cannot go ahead; nothing was deleted
        └── DeleteBlocked      rows outside the tree forbid it (carries ``blockers``)
"""

from __future__ import annotations

from typing import Any

from django_graft.conf import graft_settings
from django_graft.render.lists import listed
from django_graft.render.redact import redact


class GraftError(Exception):
    """Base class of every error raised by django-graft."""

    code = "graft_error"

    def __init__(self, message: str) -> None:
        message = redact(message)
        super().__init__(message)
        self.message = message


class PolicyError(GraftError):
    """A policy refers to an unknown label or asks for an impossible rule."""

    code = "policy"

    def __init__(self, message: str, *, label: str | None = None) -> None:
        super().__init__(message)
        self.label = label


class MissingDependency(GraftError):
    """An optional library that the operation needs is not installed."""

    code = "missing_dependency"

    def __init__(self, message: str, *, extra: str) -> None:
        super().__init__(message)
        self.extra = extra


class LimitExceeded(GraftError):
    """An operation would touch more rows than ``GRAFT["MAX_ROWS"]`` allows."""

    code = "limit"

    def __init__(self, message: str, *, rows: int, limit: int) -> None:
        super().__init__(message)
        self.rows = rows
        self.limit = limit


def check_row_limit(rows: int, what: str) -> None:
    """Raise :class:`LimitExceeded` when ``rows`` is over ``GRAFT["MAX_ROWS"]``."""
    limit = graft_settings.MAX_ROWS
    if limit is not None and rows > limit:
        raise LimitExceeded(
            f"{what} holds {rows} rows, more than GRAFT['MAX_ROWS'] = {limit} allows. "
            "Nothing was done. Raise the limit, or work on a smaller tree.",
            rows=rows,
            limit=limit,
        )


class DynamicEdgeError(GraftError):
    """A place a dynamic edge declares holds a value that is not a key of its model."""

    code = "dynamic_edge"

    def __init__(self, message: str, *, model: str, pk: Any, place: str) -> None:
        super().__init__(message)
        self.model = model
        self.pk = pk
        #: The column, and the JSON path in it: ``settings $.default_meeting``.
        self.place = place


class SpecError(GraftError):
    """A root specification such as ``app.Model:PK`` cannot be understood."""

    code = "spec"

    def __init__(self, message: str, *, spec: str | None = None) -> None:
        super().__init__(message)
        self.spec = spec


class ObjectNotFound(SpecError):
    """A root specification names rows that do not exist."""

    code = "not_found"

    def __init__(self, message: str, *, model: str, pks: list[Any]) -> None:
        super().__init__(message)
        self.model = model
        self.pks = pks


class ArchiveError(GraftError):
    """An archive cannot be written or read."""

    code = "archive"


class ManifestError(ArchiveError):
    """The manifest of a run over many roots cannot be read, or belongs to another run."""

    code = "manifest"

    def __init__(self, message: str, *, location: str) -> None:
        super().__init__(message)
        self.location = location


class DestinationError(ArchiveError):
    """The archive destination cannot be opened or written."""

    code = "destination"

    def __init__(self, message: str, *, path: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.path = path
        #: What is wrong with the destination, without the advice that follows.
        self.reason = reason


class ArchiveFormatError(ArchiveError):
    """The archive is malformed, truncated or altered."""

    code = "format"

    def __init__(self, message: str, *, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


class SchemaDriftError(ArchiveError):
    """The archive was written for models that differ from the installed ones."""

    code = "schema_drift"

    def __init__(self, message: str, *, drift: list[str]) -> None:
        super().__init__(message)
        self.drift = drift


class ImportRefused(GraftError):
    """An import cannot go ahead; nothing was written."""

    code = "import_refused"


class ConflictError(ImportRefused):
    """Archive rows collide with rows already in the target database."""

    code = "conflict"

    def __init__(self, message: str, *, conflicts: list[Any]) -> None:
        super().__init__(message)
        self.conflicts = conflicts


class UnresolvedReference(ImportRefused):
    """Reference records name rows the target database does not have."""

    code = "unresolved_reference"

    def __init__(self, message: str, *, missing: list[tuple[str, Any]]) -> None:
        super().__init__(message)
        self.missing = missing


def unresolved(missing: list[tuple[str, Any]], what: str, fix: str) -> UnresolvedReference:
    """An :class:`UnresolvedReference` listing ``missing`` ``(label, key)`` pairs."""
    shown = listed([f"{label} {key!r}" for label, key in missing])
    return UnresolvedReference(f"{len(missing)} {what}:\n{shown}\n{fix}", missing=missing)


class AmbiguousMatch(ImportRefused):
    """A record's match fields find more than one existing row."""

    code = "ambiguous_match"


class ImportWriteError(ImportRefused):
    """The database refused a write; the whole import was rolled back."""

    code = "write_failed"


class PermissionRefused(ImportRefused):
    """The import would write or read rows its user is not allowed to; nothing was written."""

    code = "permission_refused"

    def __init__(self, message: str, *, lacking: list[str]) -> None:
        super().__init__(message)
        self.lacking = lacking


class CrossLinkError(ImportRefused):
    """A clone would leave a copy and an original pointing at each other; rolled back."""

    code = "cross_link"

    def __init__(self, message: str, *, rows: list[str]) -> None:
        super().__init__(message)
        self.rows = rows


class UntrustedArchive(ImportRefused):
    """An archive this installation did not sign carries what only a signed one may."""

    code = "untrusted_archive"

    def __init__(self, message: str, *, signature: str) -> None:
        super().__init__(message)
        self.signature = signature


class DeleteRefused(GraftError):
    """A delete cannot go ahead, or the database refused it; nothing was deleted."""

    code = "delete_refused"


class DeleteBlocked(DeleteRefused):
    """Rows outside the tree forbid the delete (``PROTECT``, ``RESTRICT``, ...)."""

    code = "delete_blocked"

    def __init__(self, message: str, *, blockers: list[Any]) -> None:
        super().__init__(message)
        self.blockers = blockers
