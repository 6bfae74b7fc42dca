"""The exceptions django-graft raises.

Every error carries a stable machine-readable ``code`` and a message that
names the object at fault and the fix. Management commands turn any of them
into a ``CommandError``; the Python API lets them propagate.

::

    GraftError
    ├── PolicyError            a policy names something that does not exist,
    │                          or asks for a rule the relation cannot take
    ├── SpecError              a root specification cannot be parsed
    │   └── ObjectNotFound     a root names a row that does not exist
    └── ArchiveError           an archive cannot be written or read
        ├── DestinationError   the destination cannot be opened for writing
        └── ArchiveFormatError the archive is not valid (carries ``line``)
"""

from __future__ import annotations

from typing import Any


class GraftError(Exception):
    """Base class of every error raised by django-graft."""

    code = "graft_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PolicyError(GraftError):
    """A policy refers to an unknown label or asks for an impossible rule."""

    code = "policy"

    def __init__(self, message: str, *, label: str | None = None) -> None:
        super().__init__(message)
        self.label = label


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


class DestinationError(ArchiveError):
    """The archive destination cannot be opened or written."""

    code = "destination"

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(message)
        self.path = path


class ArchiveFormatError(ArchiveError):
    """The archive is malformed, truncated or altered."""

    code = "format"

    def __init__(self, message: str, *, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line
