"""``storage://ALIAS/name``: a file in one of the project's ``STORAGES``.

Django's storage API has no way to write a file piece by piece and commit
it, so the archive is spooled to a temporary file on local disk (constant
memory) and handed to ``Storage.save`` only once it is complete. An existing
file of that name is replaced: it is deleted just before the save, since
``save`` would otherwise pick a new name.

``storage:///name``, with no alias, uses ``GRAFT["STORAGE"]`` (``"default"``
unless set).
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from typing import Any, BinaryIO

from django.core.exceptions import SuspiciousOperation
from django.core.files import File
from django.core.files.storage import InvalidStorageError, storages

from django_graft.conf import graft_settings
from django_graft.exceptions import ArchiveError, DestinationError
from django_graft.storage.failures import failure, summary

PREFIX = "storage://"


def split(url: str) -> tuple[str, str]:
    """``storage://alias/name`` -> ``(alias, name)``."""
    alias, _, name = url[len(PREFIX) :].partition("/")
    return alias or graft_settings.STORAGE, name


def _storage(url: str, *, writing: bool) -> tuple[str, str, Any]:
    """The alias, the file name and the storage ``url`` names."""
    alias, name = split(url)
    if not name or name.endswith("/"):
        raise failure(
            url,
            f"'{url}' names no file. Write it as storage://ALIAS/path/to/archive.jsonl.gz.",
            writing=writing,
        )
    try:
        return alias, name, storages[alias]
    except InvalidStorageError:
        known = ", ".join(sorted(storages.backends)) or "none"
        raise failure(
            url,
            f"'{url}' names the storage '{alias}', which is not in settings.STORAGES "
            f"(configured: {known}). Use one of those aliases, or add it to STORAGES.",
            writing=writing,
        ) from None


@contextlib.contextmanager
def write_to_storage(url: str) -> Iterator[BinaryIO]:
    alias, name, storage = _storage(url, writing=True)
    with tempfile.TemporaryFile(prefix="graft-") as spool:
        yield spool
        spool.seek(0)
        try:
            if storage.exists(name):
                storage.delete(name)
            saved = storage.save(name, File(spool, name=name))
        except Exception as exc:
            raise DestinationError(
                f"The storage '{alias}' refused to save '{name}' ({summary(exc)}). "
                "Nothing was written there; check the name and the storage's settings.",
                path=url,
            ) from exc
    if saved != name:
        raise DestinationError(
            f"The storage '{alias}' saved the archive as '{saved}', not '{name}' (another "
            f"file took the name meanwhile). Read it from storage://{alias}/{saved}.",
            path=url,
        )


def stored(url: str) -> bool:
    """Whether the storage ``url`` names holds its file."""
    alias, name, storage = _storage(url, writing=False)
    try:
        return bool(storage.exists(name))
    except (OSError, ValueError, SuspiciousOperation) as exc:
        raise ArchiveError(
            f"The storage '{alias}' cannot tell whether '{name}' exists ({summary(exc)})."
        ) from None


@contextlib.contextmanager
def read_from_storage(url: str) -> Iterator[BinaryIO]:
    alias, name, storage = _storage(url, writing=False)
    try:
        handle = storage.open(name, "rb")
    except (OSError, ValueError, SuspiciousOperation) as exc:
        raise ArchiveError(
            f"Cannot read archive '{url}': the storage '{alias}' cannot open '{name}' "
            f"({summary(exc)}). Check the name."
        ) from None
    with handle:
        yield handle
