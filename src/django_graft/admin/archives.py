"""Where the admin keeps archives, and which of them each user may read.

Archives the admin writes (a delete's archive, an export run in the
background) and archives uploaded to its import page hold whole trees of
rows, password hashes included for a delete. They go to one storage,
``GRAFT["ADMIN_STORAGE"]`` (else the ``STORAGES`` alias ``"graft"``, else
``GRAFT["STORAGE"]``), which must not be served publicly (the system check
``graft.W031`` says when it looks so), under names no one can guess: a
random 128-bit token in each.

The import page offers a user only the archives they may read: those the
audit log says they wrote, and those they uploaded (whose names, in
``graft/uploads/``, carry a tag of their uploader). A superuser may read
them all.
Uploads never confirmed are removed once older than ``GRAFT["UPLOAD_TTL"]``
seconds (:func:`remove_expired_uploads`, run by ``manage.py graft_cleanup``
and by the import page).
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import re
import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.db import DatabaseError
from django.utils import timezone
from django.utils.text import get_valid_filename

from django_graft.conf import graft_settings
from django_graft.models import GraftLog
from django_graft.storage.aliases import PREFIX, split

#: The alias used when GRAFT["ADMIN_STORAGE"] is not set and STORAGES has it.
DEDICATED = "graft"
FOLDER = "graft"
UPLOADS = f"{FOLDER}/uploads"
EXPORTS = f"{FOLDER}/exports"
#: An upload's name: a random token, its uploader's tag (not in older versions), the file's.
_UPLOADED = re.compile(rf"^{UPLOADS}/[0-9a-f]{{32}}-[\w.-]+$")
_OWNED = re.compile(rf"^{UPLOADS}/[0-9a-f]{{32}}-(?P<owner>[uh][0-9A-Za-z]{{1,40}})-[\w.-]+$")
_PLAIN_KEY = re.compile(r"^[0-9A-Za-z]{1,40}$")

logger = logging.getLogger("django_graft.admin")


def alias() -> str:
    """The ``STORAGES`` alias the admin writes its archives to and reads them from."""
    configured = graft_settings.ADMIN_STORAGE
    if configured is not None:
        return configured
    return DEDICATED if DEDICATED in storages.backends else graft_settings.STORAGE


def dedicated() -> bool:
    """Whether the admin has a storage of its own (not the general ``GRAFT["STORAGE"]``)."""
    return graft_settings.ADMIN_STORAGE is not None or DEDICATED in storages.backends


def storage() -> Storage:
    return storages[alias()]


def location(name: str) -> str:
    """The ``storage://`` location of ``name`` in the admin's storage."""
    return f"{PREFIX}{alias()}/{name}"


def new_location(folder: str, stem: str, extension: str) -> str:
    """A location for a new archive in ``folder``, its name made unguessable by a token."""
    return location(f"{folder}/{stem}-{secrets.token_hex(16)}{extension}")


def _is_superuser(user: Any) -> bool:
    return bool(getattr(user, "is_superuser", False))


def owner_tag(user: Any) -> str:
    """The tag of ``user``'s uploads: ``u`` and their key, or ``h`` and its hash if it won't do."""
    key = str(user.pk)
    if _PLAIN_KEY.match(key):
        return f"u{key}"
    return f"h{hashlib.sha256(key.encode()).hexdigest()[:32]}"


def is_upload(name: str) -> bool:
    return bool(_UPLOADED.match(name))


def keep_upload(upload: Any, user: Any) -> str:
    """Save an uploaded file in ``user``'s folder; its name in the storage."""
    tag = owner_tag(user)
    name = f"{UPLOADS}/{uuid.uuid4().hex}-{tag}-{get_valid_filename(upload.name)[:100]}"
    return str(storage().save(name, upload))


def written_by(user: Any) -> set[str]:
    """The names, in the admin's storage, of archives the audit log says ``user`` wrote."""
    here = alias()
    entries = GraftLog.objects.filter(
        user__pk=user.pk, operation__in=("export", "delete"), location__startswith=PREFIX
    )
    try:
        locations = list(entries.values_list("location", flat=True))
    except DatabaseError:  # the log is not migrated: it vouches for nothing
        return set()
    names = set()
    for where in locations:
        storage_alias, name = split(where)
        if storage_alias == here:
            names.add(name)
    return names


def readable_archives(user: Any) -> list[str]:
    """The archives in the storage's ``graft/`` folder that ``user`` may import."""
    try:
        _, files = storage().listdir(FOLDER)
    except (OSError, NotImplementedError):
        return []
    names = sorted(f"{FOLDER}/{name}" for name in files)
    if _is_superuser(user):
        return names
    mine = written_by(user)
    return [name for name in names if name in mine]


def may_read(user: Any, name: str) -> bool:
    """Whether ``user`` may import ``name``: their own upload, or an archive offered to them."""
    if is_upload(name):
        # The tag is part of the file's name, so no name with this user's tag
        # can lead to a file someone else uploaded.
        owned = _OWNED.match(name)
        return _is_superuser(user) or bool(owned and owned["owner"] == owner_tag(user))
    return name in readable_archives(user)


# -- uploads never confirmed ----------------------------------------------


@dataclass(frozen=True)
class Upload:
    """An upload in the admin's storage, and when it was saved."""

    name: str
    saved_at: datetime.datetime


def _uploads(where: Storage) -> list[str]:
    """The name of every upload (files of other names in ``graft/uploads/`` are not ours)."""
    try:
        _, files = where.listdir(UPLOADS)
    except (OSError, NotImplementedError):
        return []
    return sorted(name for name in (f"{UPLOADS}/{file}" for file in files) if is_upload(name))


def expired_uploads(now: datetime.datetime | None = None) -> list[Upload]:
    """The uploads saved more than ``GRAFT["UPLOAD_TTL"]`` seconds before ``now``.

    An upload whose storage cannot say when it was saved is kept.
    """
    where = storage()
    cutoff = (now or timezone.now()) - datetime.timedelta(seconds=graft_settings.UPLOAD_TTL)
    expired = []
    for name in _uploads(where):
        try:
            saved_at = where.get_modified_time(name)
        except (OSError, NotImplementedError):
            continue
        if saved_at < cutoff:
            expired.append(Upload(name, saved_at))
    return expired


def remove_expired_uploads(*, dry_run: bool = False) -> list[Upload]:
    """Remove the uploads older than ``GRAFT["UPLOAD_TTL"]``; those removed (or, dry, found)."""
    expired = expired_uploads()
    if dry_run:
        return expired
    where = storage()
    removed = []
    for upload in expired:
        try:
            where.delete(upload.name)
        except OSError:
            continue  # gone meanwhile, or not ours to remove: the next run tries again
        removed.append(upload)
    return removed


def tidy_uploads() -> None:
    """Remove expired uploads, as the import page does when opened: never failing the page."""
    try:
        remove_expired_uploads()
    except Exception as exc:  # a storage's own errors: the page works without the clean-up
        logger.warning(
            "Could not remove the expired uploads from the storage '%s' (%s: %s); "
            "manage.py graft_cleanup says more.",
            alias(),
            type(exc).__name__,
            exc,
        )


# -- whether the storage is served publicly --------------------------------


def _inside(folder: Path, root: Any) -> bool:
    return bool(root) and folder.is_relative_to(Path(str(root)).resolve())


def served_publicly(where: Storage) -> str | None:
    """Why files in ``where`` can be fetched by anyone who has their URL, or None.

    A ``FileSystemStorage``: when its folder is ``MEDIA_ROOT`` or ``STATIC_ROOT``
    or inside them (what web servers serve), or it is given a base URL of its
    own. Any other storage: when it has a non-empty ``base_url``, or its URLs
    are not signed (django-storages' ``querystring_auth = False``).
    """
    if isinstance(where, FileSystemStorage):
        folder = Path(where.location).resolve()
        for root in ("MEDIA_ROOT", "STATIC_ROOT"):
            if _inside(folder, getattr(settings, root, None)):
                return f"its folder {folder} is inside {root}, which the web server serves"
        base_url = where.base_url or ""
        # Without a base URL of its own it falls back on MEDIA_URL, serving nothing.
        if base_url and base_url != (settings.MEDIA_URL or ""):
            return f"it is given the base URL {base_url!r}"
        return None
    given = getattr(where, "base_url", None)
    if isinstance(given, str) and given:
        return f"it has the base URL {given!r}"
    if getattr(where, "querystring_auth", None) is False:
        return "its URLs are not signed (querystring_auth is False)"
    return None
