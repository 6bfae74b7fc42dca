"""storage://ALIAS/name with Django's FileSystemStorage and InMemoryStorage."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import storages

from django_graft.exceptions import ArchiveError, DestinationError
from django_graft.storage import open_for_read, open_for_write
from tests.storage.helpers import Interrupted, write_then_fail


@pytest.fixture
def archives(settings: Any, tmp_path: Path) -> Path:
    """Two storages: 'archives' on disk under tmp_path, 'scratch' in memory."""
    settings.STORAGES = {
        **settings.STORAGES,
        "archives": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
        "scratch": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    return tmp_path


@pytest.mark.parametrize("alias", ["archives", "scratch"])
def test_write_then_read_back(archives: Path, alias: str) -> None:
    url = f"storage://{alias}/exports/org-1.jsonl.bz2"
    with open_for_write(url) as stream:
        stream.write(b"first")
    with open_for_write(url) as stream:  # replaces, rather than saving under a new name
        stream.write(b"second")
    with open_for_read(url) as stream:
        assert stream.read() == b"second"
    assert storages[alias].listdir("exports") == ([], ["org-1.jsonl.bz2"])


@pytest.mark.parametrize("alias", ["archives", "scratch"])
def test_failure_half_way_leaves_no_file(archives: Path, alias: str) -> None:
    with pytest.raises(Interrupted):
        write_then_fail(f"storage://{alias}/a.jsonl", b"half")
    assert not storages[alias].exists("a.jsonl")


def test_no_alias_means_the_graft_storage(archives: Path, settings: Any) -> None:
    settings.GRAFT = {"STORAGE": "archives"}
    with open_for_write("storage:///a.jsonl") as stream:
        stream.write(b"x")
    assert (archives / "a.jsonl").read_bytes() == b"x"


def test_unknown_alias(archives: Path) -> None:
    with pytest.raises(DestinationError) as info, open_for_write("storage://nope/a.jsonl"):
        pass
    assert str(info.value) == (
        "'storage://nope/a.jsonl' names the storage 'nope', which is not in settings.STORAGES "
        "(configured: archives, default, scratch, staticfiles). Use one of those aliases, "
        "or add it to STORAGES."
    )


def test_no_file_name(archives: Path) -> None:
    with pytest.raises(ArchiveError) as info, open_for_read("storage://archives/"):
        pass
    assert str(info.value) == (
        "'storage://archives/' names no file. Write it as storage://ALIAS/path/to/archive.jsonl.gz."
    )


def test_missing_file(archives: Path) -> None:
    with pytest.raises(ArchiveError) as info, open_for_read("storage://archives/none.jsonl"):
        pass
    assert str(info.value).startswith(
        "Cannot read archive 'storage://archives/none.jsonl': the storage 'archives' "
        "cannot open 'none.jsonl' (FileNotFoundError"
    )


def test_names_cannot_leave_the_storage(archives: Path) -> None:
    with pytest.raises(DestinationError) as info, open_for_write("storage://archives/../x"):
        pass
    assert "refused to save '../x'" in str(info.value)
    with pytest.raises(ArchiveError), open_for_read("storage://archives/../x"):
        pass
