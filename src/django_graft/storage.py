"""Open archive destinations for streaming, all or nothing.

A local file is written under a temporary name in the same directory and
renamed into place only when the archive is complete, so a failure never
leaves a file at the destination that could be mistaken for a valid archive.
``-`` means standard output. Names ending in ``.gz`` are gzip-compressed.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, BinaryIO, cast

from .exceptions import ArchiveError, DestinationError

Destination = str | os.PathLike[str] | IO[bytes]

_FIX = "Give a path in an existing, writable directory, or '-' for standard output."


def describe(destination: Destination) -> str:
    if isinstance(destination, str | os.PathLike):
        return os.fspath(destination)
    return getattr(destination, "name", None) or repr(destination)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


@contextlib.contextmanager
def _atomic_file(path: Path) -> Iterator[BinaryIO]:
    parent = path.parent
    if path.is_dir():
        raise DestinationError(
            f"Cannot write archive to '{path}': it is a directory. {_FIX}", path=str(path)
        )
    if not parent.is_dir():
        raise DestinationError(
            f"Cannot write archive to '{path}': directory '{parent}' does not exist. {_FIX}",
            path=str(path),
        )
    try:
        handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=parent)
    except OSError as exc:
        raise DestinationError(
            f"Cannot write archive to '{path}': {exc.strerror}. {_FIX}", path=str(path)
        ) from None
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as raw:
            if path.name.endswith(".gz"):
                with gzip.GzipFile(filename=path.name, fileobj=raw, mode="wb") as zipped:
                    yield cast(BinaryIO, zipped)
            else:
                yield raw
            raw.flush()
            os.fsync(raw.fileno())
        os.chmod(temp, 0o666 & ~_umask())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def open_for_write(destination: Destination) -> Iterator[BinaryIO]:
    """Yield a binary stream; the archive appears at ``destination`` only on success."""
    if isinstance(destination, str) and destination == "-":
        stdout = sys.stdout.buffer
        yield stdout
        stdout.flush()
        return
    if isinstance(destination, str | os.PathLike):
        with _atomic_file(Path(destination)) as stream:
            yield stream
        return
    yield cast(BinaryIO, destination)


@contextlib.contextmanager
def open_for_read(source: Destination) -> Iterator[BinaryIO]:
    """Yield a binary stream over an archive, decompressing ``.gz`` names."""
    if isinstance(source, str) and source == "-":
        yield sys.stdin.buffer
        return
    if not isinstance(source, str | os.PathLike):
        yield cast(BinaryIO, source)
        return
    path = Path(source)
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise ArchiveError(
            f"Cannot read archive '{path}': {exc.strerror}. Check the path."
        ) from None
    with raw:
        if path.name.endswith(".gz"):
            with gzip.GzipFile(fileobj=raw, mode="rb") as zipped:
                yield cast(BinaryIO, zipped)
        else:
            yield raw
