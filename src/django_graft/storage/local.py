"""Local files: written under a temporary name and renamed into place when complete."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from django_graft.exceptions import ArchiveError, DestinationError

_FIX = "Give a path in an existing, writable directory, or '-' for standard output."


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _refuse(path: Path, reason: str) -> DestinationError:
    return DestinationError(
        f"Cannot write archive to '{path}': {reason}. {_FIX}", path=str(path), reason=reason
    )


@contextlib.contextmanager
def atomic_file(path: Path) -> Iterator[BinaryIO]:
    """Yield a file in ``path``'s directory that replaces ``path`` only on success.

    The temporary file is flushed to disk before the rename, so a crash
    leaves either the old file or the whole new one, never half of it.
    """
    if path.is_dir():
        raise _refuse(path, "it is a directory")
    if path.exists() and not path.is_file():
        # A device or a named pipe (/dev/stdout, a FIFO) is a stream, not a
        # file to replace: write to it as to standard output.
        with _stream_to(path) as stream:
            yield stream
        return
    if not path.parent.is_dir():
        raise _refuse(path, f"directory '{path.parent}' does not exist")
    try:
        handle, temp_name = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=".partial", dir=path.parent
        )
    except OSError as exc:
        raise _refuse(path, str(exc.strerror)) from None
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as raw:
            yield raw
            raw.flush()
            os.fsync(raw.fileno())
        os.chmod(temp, 0o666 & ~_umask())
        os.replace(temp, path)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise _refuse(path, str(exc.strerror or exc)) from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def _stream_to(path: Path) -> Iterator[BinaryIO]:
    try:
        with path.open("wb") as stream:
            yield stream
    except OSError as exc:
        raise _refuse(path, str(exc.strerror or exc)) from None


@contextlib.contextmanager
def read_file(path: Path) -> Iterator[BinaryIO]:
    try:
        raw = path.open("rb")
    except OSError as exc:
        message = f"Cannot read archive '{path}': {exc.strerror}. Check the path."
        raise ArchiveError(message) from None
    with raw:
        yield raw
