"""A temporary file of an import's own, read and written by position.

Key lists (:mod:`.keylist`) and key pairs (:mod:`.keypages`) past
``GRAFT["SERVER_SIDE_KEYS"]`` keep their keys in such a file rather than in
memory. Reads and writes name their position (``pread`` and ``pwrite``), so
two readers taking turns never move each other's place. The file has no name
from the start, and is closed when its owner closes it or is collected,
whichever comes first: an import that fails half way leaves nothing behind.
"""

from __future__ import annotations

import os
import tempfile
import weakref


class ScratchFile:
    """A nameless temporary file, read and written at positions."""

    __slots__ = ("__weakref__", "_closer", "_fd", "size")

    def __init__(self) -> None:
        self._fd, path = tempfile.mkstemp(prefix="graft-keys-")
        os.unlink(path)  # nameless from here on: gone once closed
        self._closer = weakref.finalize(self, os.close, self._fd)
        #: Bytes written so far: where :meth:`append` writes.
        self.size = 0

    def read(self, position: int, length: int) -> bytes:
        """``length`` bytes from ``position`` (fewer past the end)."""
        return os.pread(self._fd, length, position)

    def write(self, position: int, data: bytes) -> None:
        """``data`` at ``position``, all of it."""
        view = memoryview(data)
        while view:
            written = os.pwrite(self._fd, view, position)
            view, position = view[written:], position + written
        self.size = max(self.size, position)

    def append(self, data: bytes) -> int:
        """``data`` at the end; the position it was written at."""
        position = self.size
        self.write(position, data)
        return position

    def close(self) -> None:
        self._closer()
