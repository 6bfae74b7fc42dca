"""graft_cleanup: uploads whose import was never confirmed are removed after GRAFT["UPLOAD_TTL"]."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db

#: 2020-01-02 03:04:05 UTC: long expired, whatever the TTL.
LONG_AGO = 1577934245
OLD = "0123456789abcdef0123456789abcdef-u1-old.jsonl"
OLDER_VERSION = "fedcba9876543210fedcba9876543210-legacy.json"
FRESH = "00112233445566778899aabbccddeeff-u1-fresh.jsonl"


@pytest.fixture
def uploads(settings: Any, tmp_path: Path) -> Path:
    """The admin's storage with two expired uploads, a fresh one, and files not uploads."""
    settings.STORAGES = {
        **settings.STORAGES,
        "graft": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    folder = tmp_path / "graft" / "uploads"
    folder.mkdir(parents=True)
    for name in (OLD, OLDER_VERSION, FRESH, "notes.txt"):
        (folder / name).write_bytes(b"{}")
    (tmp_path / "graft" / "archive.jsonl").write_bytes(b"{}")
    for path in (folder / OLD, folder / OLDER_VERSION, folder / "notes.txt"):
        os.utime(path, (LONG_AGO, LONG_AGO))
    os.utime(tmp_path / "graft" / "archive.jsonl", (LONG_AGO, LONG_AGO))
    return folder


def cleanup(*args: str) -> str:
    out = io.StringIO()
    call_command("graft_cleanup", *args, stdout=out)
    return out.getvalue()


def remaining(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.parent.rglob("*") if path.is_file())


def test_a_dry_run_lists_and_keeps(uploads: Path) -> None:
    assert cleanup("--dry-run").splitlines() == [
        f"Would remove graft/uploads/{OLD} (saved 2020-01-02 03:04:05).",
        f"Would remove graft/uploads/{OLDER_VERSION} (saved 2020-01-02 03:04:05).",
        "Would remove 2 upload(s) older than 86400 seconds (GRAFT['UPLOAD_TTL']) from the "
        "storage 'graft'.",
    ]
    assert remaining(uploads) == sorted([OLD, OLDER_VERSION, FRESH, "notes.txt", "archive.jsonl"])


def test_expired_uploads_are_removed_fresh_ones_kept(uploads: Path) -> None:
    assert cleanup().splitlines() == [
        f"Removed graft/uploads/{OLD} (saved 2020-01-02 03:04:05).",
        f"Removed graft/uploads/{OLDER_VERSION} (saved 2020-01-02 03:04:05).",
        "Removed 2 upload(s) older than 86400 seconds (GRAFT['UPLOAD_TTL']) from the storage "
        "'graft'.",
    ]
    # Files that are not uploads are not the command's to remove, however old.
    assert remaining(uploads) == sorted([FRESH, "notes.txt", "archive.jsonl"])
    assert cleanup().splitlines()[-1].startswith("Removed 0 upload(s) older than 86400 seconds")


def test_the_setting_sets_the_age(uploads: Path, settings: Any) -> None:
    settings.GRAFT = {"UPLOAD_TTL": 60}
    two_minutes_ago = time.time() - 120
    os.utime(uploads / FRESH, (two_minutes_ago, two_minutes_ago))
    output = cleanup()
    assert f"Removed graft/uploads/{FRESH}" in output
    assert output.splitlines()[-1].startswith("Removed 3 upload(s) older than 60 seconds")
    assert remaining(uploads) == ["archive.jsonl", "notes.txt"]


def test_the_import_page_cleans_up_too(uploads: Path) -> None:
    client = Client()
    client.force_login(User.objects.create_superuser("boss"))
    assert client.get("/admin/django_graft/graftlog/import/").status_code == 200
    assert remaining(uploads) == sorted([FRESH, "notes.txt", "archive.jsonl"])


def test_a_failing_storage_does_not_fail_the_page(
    uploads: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from django_graft.admin import archives

    def broken(**options: Any) -> list[Any]:
        raise RuntimeError("the bucket is gone")

    monkeypatch.setattr(archives, "remove_expired_uploads", broken)
    client = Client()
    client.force_login(User.objects.create_superuser("boss"))
    assert client.get("/admin/django_graft/graftlog/import/").status_code == 200
    assert (
        "Could not remove the expired uploads from the storage 'graft' (RuntimeError: the "
        "bucket is gone); manage.py graft_cleanup says more." in caplog.text
    )
