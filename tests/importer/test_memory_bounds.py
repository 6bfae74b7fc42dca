"""Reading an archive or a fixture takes memory that follows its size, not the limits.

Each import runs in a second process whose address space is capped at
512 MB (``ulimit -v``), while ``GRAFT["MAX_ARCHIVE_BYTES"]`` keeps its
16 GiB default: a read sized by the limit would fail there at once.
"""

from __future__ import annotations

import io
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import serializers

from django_graft import export
from django_graft.archive.limits import read_limited
from django_graft.exceptions import ArchiveFormatError
from tests.testapp import models as m

pytestmark = pytest.mark.django_db(databases=["default", "other"])

ROOT = Path(__file__).resolve().parents[2]
ENVIRONMENT = {
    **os.environ,
    "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT), str(ROOT / "example")]),
}
ADDRESS_SPACE = 512 * 2**20
TAGS = 300


def _capped() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def import_capped(path: Path) -> str:
    """Import ``path`` in a second process capped at 512 MB; return what it printed."""
    run = subprocess.run(
        [sys.executable, "-m", "tests.importer.memory_probe", str(path)],
        capture_output=True, text=True, cwd=ROOT, timeout=300, env=ENVIRONMENT,
        preexec_fn=_capped,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    return run.stdout


def tags() -> list[m.Tag]:
    return [m.Tag(pk=i, name=f"tag {i:04d} " + "x" * 40) for i in range(1, TAGS + 1)]


@pytest.mark.parametrize("fmt", ["json", "jsonl", "xml", "yaml"])
def test_a_25_kb_fixture_imports_in_512_mb(fmt: str, tmp_path: Path) -> None:
    path = tmp_path / f"tags.{fmt}"
    path.write_text(serializers.serialize(fmt, tags()))
    assert 15_000 < path.stat().st_size < 50_000
    assert import_capped(path) == f"testapp.tag {TAGS}\n"


def test_a_25_kb_archive_imports_in_512_mb(tmp_path: Path) -> None:
    m.Tag.objects.bulk_create(tags())
    path = tmp_path / "tags.jsonl"
    export(list(m.Tag.objects.order_by("pk")), path)
    assert 20_000 < path.stat().st_size < 60_000
    assert import_capped(path) == f"testapp.tag {TAGS}\n"


def test_a_whole_document_is_read_as_it_comes(settings: object) -> None:
    data = b"[" + b" " * (3 * 2**20) + b"]"
    assert read_limited(io.BytesIO(data)) == data


def test_a_whole_document_past_the_limit_is_refused(settings: object) -> None:
    settings.GRAFT = {"MAX_ARCHIVE_BYTES": 1000}  # type: ignore[attr-defined]
    assert read_limited(io.BytesIO(b"x" * 1000)) == b"x" * 1000
    with pytest.raises(ArchiveFormatError) as refused:
        read_limited(io.BytesIO(b"x" * 1001))
    assert str(refused.value) == (
        "The archive is larger than GRAFT['MAX_ARCHIVE_BYTES'] (1000 bytes, decompressed) "
        "at line 1. Raise the limit if the archive is trusted."
    )
