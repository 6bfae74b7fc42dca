"""What a storage failure becomes: a destination error if writing, an archive error if reading."""

from __future__ import annotations

from django_graft.exceptions import ArchiveError, DestinationError


def failure(url: str, message: str, *, writing: bool) -> ArchiveError:
    return DestinationError(message, path=url) if writing else ArchiveError(message)


def summary(exc: BaseException) -> str:
    """``ExceptionType: message``, for naming a library's error inside ours."""
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
