"""Pause Python's cyclic garbage collector around bulk work."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Switch the cyclic collector off for the block, and back on as it was.

    Bulk reads and writes allocate a few objects per row and none of them
    form cycles, yet the collector keeps scanning them (and, once enough
    survive, every long-lived object too): a fifth to a third of the run
    time on big trees. Reference counting still frees everything as it goes.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
