"""Secrets from the settings never appear in a message django-graft shows or records.

Messages name what failed, and some name what a library or a database said,
which is not ours to vet. Before any message leaves (an exception, a command
error, an admin message, the audit log), every secret the settings hold is
replaced: database passwords, ``SECRET_KEY``, and the values under
secret-looking names (password, secret, token, key, credentials) in
``GRAFT["STORAGE_OPTIONS"]`` and in the ``OPTIONS`` of ``STORAGES``.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MASK = "********"
#: Option names whose values are secrets.
SECRET_NAME = re.compile(r"pass|secret|token|key|credential|auth", re.IGNORECASE)
#: Shorter values are too likely to be ordinary words in a message.
SHORTEST = 6


def secrets() -> set[str]:
    """Every secret value the settings hold."""
    try:
        found = {str(db.get("PASSWORD") or "") for db in settings.DATABASES.values()}
        found.add(str(getattr(settings, "SECRET_KEY", "") or ""))
        for storage in getattr(settings, "STORAGES", {}).values():
            _collect(storage.get("OPTIONS", {}), found, secret=False)
        _collect(getattr(settings, "GRAFT", {}).get("STORAGE_OPTIONS", {}), found, secret=False)
    except ImproperlyConfigured:  # no settings: nothing to hide
        return set()
    return {value for value in found if len(value) >= SHORTEST}


def _collect(value: Any, found: set[str], *, secret: bool) -> None:
    if isinstance(value, dict):
        for name, item in value.items():
            _collect(item, found, secret=secret or bool(SECRET_NAME.search(str(name))))
    elif isinstance(value, list | tuple):
        for item in value:
            _collect(item, found, secret=secret)
    elif secret and isinstance(value, str | bytes):
        found.add(value.decode(errors="replace") if isinstance(value, bytes) else value)


def redact(text: str) -> str:
    """``text`` with every secret of the settings masked."""
    for secret in sorted(secrets(), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text
