"""Find the accounts an archive would make staff or superuser.

An import from the admin may only create or update such accounts when the
importing user is a superuser; the archive is read once more, record by
record, to find them before anything is planned.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from django_graft.archive.reader import read_archive
from django_graft.fixtures import GRAFT, sniff
from django_graft.fixtures.parse import fixture_objects
from django_graft.labels import model_label
from django_graft.storage import open_for_read

FLAGS = ("is_superuser", "is_staff")


def _elevated(fields: dict[str, Any]) -> bool:
    return any(fields.get(flag) in (True, "True", "true", "1", 1) for flag in FLAGS)


def elevated_accounts(location: str) -> list[str]:
    """``label pk`` of every user record in the archive at ``location`` with a staff flag."""
    user_label = model_label(get_user_model())
    found: list[str] = []

    def check(item: dict[str, Any]) -> None:
        label = str(item.get("model", "")).lower()
        fields = item.get("fields")
        if label == user_label and isinstance(fields, dict) and _elevated(fields):
            found.append(f"{label} {item.get('pk', fields.get('username'))!r}")

    with open_for_read(location) as raw:
        fmt, stream = sniff(raw, location, None)
        if fmt == GRAFT:
            read_archive(stream, visit=lambda number, line, item: check(item))
        else:
            for item in fixture_objects(stream, fmt):
                check(item)
    return found
