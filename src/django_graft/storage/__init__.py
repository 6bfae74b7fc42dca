"""Where archives are written to and read from, all or nothing, in constant memory.

A location is one of:

- ``-``: standard output when writing, standard input when reading;
- a local path, or a ``file://`` URL;
- ``storage://ALIAS/name``: a file in one of ``settings.STORAGES``;
- any other ``protocol://`` URL: an fsspec filesystem (``s3://``, ``gs://``,
  ``az://``, ``memory://``, ...), whose library is an optional extra;
- a binary file object, written or read as it is.

Writing compresses by the name's extension (``.gz``, ``.bz2``, ``.xz``,
``.zst``); reading decompresses whatever the first bytes say. Every writer
commits only when the archive is complete, so a failure half way leaves
nothing at the destination that reads as an archive.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import IO, Any, BinaryIO, cast

from django_graft.exceptions import DestinationError
from django_graft.storage.aliases import PREFIX as STORAGE_PREFIX
from django_graft.storage.aliases import read_from_storage, stored, write_to_storage
from django_graft.storage.compression import compressed, decompressed
from django_graft.storage.local import atomic_file, read_file
from django_graft.storage.remote import read_remote, remote_exists, write_remote

Destination = str | os.PathLike[str] | IO[bytes]

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def is_location(text: str) -> bool:
    """Whether ``text`` reads as an archive location rather than, say, ``app.Model:1``."""
    return text == "-" or bool(_URL.match(text)) or os.path.exists(text)


def describe(destination: Destination) -> str:
    if isinstance(destination, str | os.PathLike):
        return os.fspath(destination)
    return getattr(destination, "name", None) or repr(destination)


def local_path(location: str | os.PathLike[str]) -> Path | None:
    """The local path ``location`` names, or None for a URL that is not ``file://``."""
    text = os.fspath(location)
    if text.lower().startswith("file://"):
        return Path(text[len("file://") :])
    return None if _URL.match(text) else Path(text)


Opener = Callable[[Any], AbstractContextManager[BinaryIO]]


def _openers(location: str | os.PathLike[str]) -> tuple[Opener, Opener, Any]:
    """The writer and the reader of the kind of place ``location`` names, and its address."""
    path = local_path(location)
    if path is not None:
        return atomic_file, read_file, path
    text = os.fspath(location)
    if text.startswith(STORAGE_PREFIX):
        return write_to_storage, read_from_storage, text
    return write_remote, read_remote, text


def exists(location: str | os.PathLike[str]) -> bool:
    """Whether there is a file at ``location`` (a path or a URL; never ``-``)."""
    if os.fspath(location) == "-":
        return False
    path = local_path(location)
    if path is not None:
        return path.is_file()
    text = os.fspath(location)
    return stored(text) if text.startswith(STORAGE_PREFIX) else remote_exists(text)


def make_folder(location: str | os.PathLike[str]) -> None:
    """Create the local folder ``location`` lies in, if missing; URLs have none to make."""
    path = local_path(location)
    if path is not None and os.fspath(location) != "-":
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DestinationError(
                f"Cannot create the folder '{path.parent}': {exc.strerror or exc}.",
                path=os.fspath(location),
            ) from None


@contextlib.contextmanager
def open_for_write(destination: Destination) -> Iterator[BinaryIO]:
    """Yield a binary stream; the archive appears at ``destination`` only on success."""
    if isinstance(destination, str) and destination == "-":
        stdout = sys.stdout.buffer
        yield stdout
        stdout.flush()
        return
    if not isinstance(destination, str | os.PathLike):
        yield cast(BinaryIO, destination)
        return
    write, _, address = _openers(destination)
    with write(address) as raw, compressed(raw, os.fspath(destination)) as stream:
        yield stream


@contextlib.contextmanager
def _raw_reader(source: Destination) -> Iterator[BinaryIO]:
    if isinstance(source, str) and source == "-":
        yield sys.stdin.buffer
        return
    if not isinstance(source, str | os.PathLike):
        yield cast(BinaryIO, source)
        return
    _, read, address = _openers(source)
    with read(address) as raw:
        yield raw


@contextlib.contextmanager
def open_for_read(source: Destination) -> Iterator[BinaryIO]:
    """Yield a binary stream over an archive, decompressed when it is compressed."""
    with _raw_reader(source) as raw, decompressed(raw) as stream:
        yield stream
