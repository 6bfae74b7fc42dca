"""A writer killed with SIGKILL half way leaves nothing that reads as an archive."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.objectstores import PART_SIZE_OPTION, Store

#: A process that writes ``megabytes`` of data to a location, saying so after each.
WRITER = """
import json, os, sys
from django.conf import settings
settings.configure(GRAFT=json.loads(sys.argv[2]))
from django_graft.storage import open_for_write
with open_for_write(sys.argv[1]) as stream:
    for _ in range(int(sys.argv[3])):
        stream.write(os.urandom(1 << 20))
        print("wrote", flush=True)
print("done", flush=True)
"""


def kill_while_writing(location: str, graft: dict[str, Any], megabytes: int, after: int) -> None:
    """Start a writer, SIGKILL it after ``after`` megabytes, and wait for it."""
    root = Path(__file__).resolve().parents[2]
    process = subprocess.Popen(
        [sys.executable, "-c", WRITER, location, json.dumps(graft), str(megabytes)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": f"{root}/src"},
    )
    assert process.stdout is not None
    for _ in range(after):
        assert process.stdout.readline().strip() == "wrote"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    process.stdout.close()
    assert process.returncode == -signal.SIGKILL


@pytest.mark.parametrize("seed", range(5))
def test_killed_local_writes_leave_no_archive(tmp_path: Path, seed: int) -> None:
    after = random.Random(seed).randint(1, 7)
    target = tmp_path / "archive.jsonl.gz"
    kill_while_writing(str(target), {}, 8, after)
    assert not target.exists()
    leftovers = [p.name for p in tmp_path.iterdir()]
    assert all(name.startswith(".archive.jsonl.gz.") for name in leftovers), leftovers


@pytest.mark.parametrize("seed", range(4))  # kills after 14, 3, 14 and 4 MB
def test_killed_uploads_leave_no_object(store: Store, seed: int) -> None:
    bucket = store.new_bucket()
    after = random.Random(seed).randint(1, 15)
    options = {**store.options, PART_SIZE_OPTION[store.protocol]: 5 << 20}
    graft = {"STORAGE_OPTIONS": {store.protocol: options}}
    kill_while_writing(store.url(bucket, "a.jsonl"), graft, 16, after)
    assert store.keys(bucket) == []
    if store.unfinished is not None and after > 5:
        # A part went up before the kill, and stays out of sight.
        assert store.unfinished(bucket) == ["a.jsonl"]
