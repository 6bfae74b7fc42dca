"""A temporary file of an import's own, read and written by position.

Key lists (:mod:`.keylist`) and key pairs (:mod:`.keypages`) past
``GRAFT["SERVER_SIDE_KEYS"]`` keep their keys in such a file rather than in
memory. Reads and writes name their position, so two readers taking turns
never move each other's place. The file is unbuffered (what is written is
the operating system's to cache, not the process's), has no name where the
system allows (and is removed on closing elsewhere), and is closed when its
owner closes it or is collected, whichever comes first: an import that
fails half way leaves nothing behind.
"""

from __future__ import annotations

import tempfile
import weakref


class ScratchFile:
    """A nameless temporary file, read and written at positions."""

    __slots__ = ("__weakref__", "_closer", "_file", "size")

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile(buffering=0)  # noqa: SIM115  # closed by _closer
        self._closer = weakref.finalize(self, self._file.close)
        #: Bytes written so far: where :meth:`append` writes.
        self.size = 0

    def read(self, position: int, length: int) -> bytes:
        """``length`` bytes from ``position`` (fewer past the end)."""
        self._file.seek(position)
        return self._file.read(length) or b""

    def write(self, position: int, data: bytes) -> None:
        """``data`` at ``position``, all of it."""
        self._file.seek(position)
        view = memoryview(data)
        while view:
            view = view[self._file.write(view) or 0 :]
        self.size = max(self.size, position + len(data))

    def append(self, data: bytes) -> int:
        """``data`` at the end; the position it was written at."""
        position = self.size
        self.write(position, data)
        return position

    def close(self) -> None:
        self._closer()
