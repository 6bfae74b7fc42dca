"""A full temporary directory during an import is a named error, not a traceback.

An import keeps the archive's records in temporary files, one per model
(:mod:`.source`, :mod:`.spooler`), about as large as the archive itself.
When the disk under ``TMPDIR`` fills up, writing or flushing one raises
``OSError``; this turns that into :class:`~django_graft.exceptions.ImportRefused`
naming the directory and the fix. The import's transaction has rolled back
by then: nothing was written.
"""

from __future__ import annotations

import contextlib
import errno
import tempfile
from collections.abc import Iterator

from django_graft.exceptions import ImportRefused

#: The errors of a disk, or a quota, with no room left.
_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


@contextlib.contextmanager
def temporary_space(operation: str = "import") -> Iterator[None]:
    """Turn running out of temporary space inside the block into a named error."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in _FULL:
            raise
        raise ImportRefused(
            f"The {operation} ran out of space in the temporary directory "
            f"{tempfile.gettempdir()!r} ({exc.strerror or exc}), where it keeps the "
            "archive's records while it runs. Nothing was written. Free space there, or "
            "point TMPDIR at a disk with room for about the size of the archive."
        ) from None
