from __future__ import annotations

import os

from django_graft.storage import Destination, open_for_write

MB = 1 << 20


class Interrupted(Exception):
    """What the writers below raise half way through."""


def write_then_fail(destination: Destination, data: bytes) -> None:
    """Write ``data`` to ``destination``, then fail before the end, as an export can."""
    with open_for_write(destination) as stream:
        stream.write(data)
        raise Interrupted


def write_random(destination: Destination, megabytes: int) -> None:
    with open_for_write(destination) as stream:
        for _ in range(megabytes):
            stream.write(os.urandom(MB))
