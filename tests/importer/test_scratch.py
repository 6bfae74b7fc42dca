"""A scratch file reads and writes at positions, and is gone once closed or collected."""

from __future__ import annotations

import gc
import os
import warnings

from django_graft.importer.scratch import ScratchFile


def _open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_reads_and_writes_name_their_position() -> None:
    scratch = ScratchFile()
    assert scratch.append(b"abcdef") == 0 and scratch.append(b"gh") == 6
    scratch.write(2, b"XY")
    assert scratch.read(0, 8) == b"abXYefgh" and scratch.read(6, 10) == b"gh"
    assert scratch.read(20, 4) == b"" and scratch.size == 8
    scratch.close()
    scratch.close()  # a second close does nothing


def test_a_file_nobody_closed_is_closed_when_collected_without_a_warning() -> None:
    before = _open_files()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scratch = ScratchFile()
        scratch.append(b"x" * 100)
        assert _open_files() == before + 1
        del scratch
        gc.collect()
    assert _open_files() == before
