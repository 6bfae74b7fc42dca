"""Compression by extension when writing, by content when reading; file:// paths."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from django_graft.exceptions import DestinationError, MissingDependency
from django_graft.storage import open_for_read, open_for_write
from tests.storage.helpers import Interrupted, write_then_fail

PAYLOAD = b'{"format": "django-graft"}\n' * 500


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz", ".jsonl.bz2", ".jsonl.xz", ".jsonl.zst"])
def test_round_trip(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"a{suffix}"
    with open_for_write(path) as stream:
        stream.write(PAYLOAD)
    raw = path.read_bytes()
    assert (raw == PAYLOAD) is (suffix == ".jsonl")
    with open_for_read(path) as stream:
        assert b"".join(stream) == PAYLOAD  # line by line, as archives are read
    # Reading goes by content: the same bytes under a name that says nothing.
    with open_for_read(io.BytesIO(raw)) as stream:
        assert stream.read() == PAYLOAD


def test_zstandard_missing_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "zstandard", None)
    with pytest.raises(MissingDependency) as info, open_for_write(tmp_path / "a.jsonl.zst"):
        pass
    assert str(info.value) == (
        "Zstandard archives (.zst) need the zstandard library: pip install 'django-graft[zstd]'."
    )
    assert not list(tmp_path.iterdir())


def test_file_urls(tmp_path: Path) -> None:
    url = f"file://{tmp_path}/a.jsonl.gz"
    with open_for_write(url) as stream:
        stream.write(PAYLOAD)
    assert (tmp_path / "a.jsonl.gz").exists()
    with open_for_read(url) as stream:
        assert stream.read() == PAYLOAD


def test_failure_half_way_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(Interrupted):
        write_then_fail(tmp_path / "a.jsonl.xz", PAYLOAD)
    assert not list(tmp_path.iterdir())


def test_full_disk_is_a_destination_error(tmp_path: Path) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    with pytest.raises(DestinationError) as info, open_for_write("/dev/full") as stream:
        stream.write(PAYLOAD)
    assert str(info.value).startswith("Cannot write archive to '/dev/full'")
