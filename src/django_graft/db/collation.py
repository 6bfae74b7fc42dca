"""Map the values a database returns back to the values asked for, as the database compares.

Matching and the unique-value check ask the database for rows holding some
values (``name IN (...)``), then pair each row found with the value asked
for. The database compares text by its collation: MariaDB's default ones
ignore case, accents and trailing spaces, so asked for ``'Acme'`` it may
return ``'ACME '``. Such a row is paired with the value it equals in a
comparison of that kind; on a database that compares exactly, every row
pairs exactly and this costs nothing.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any


def loose(value: Any) -> Any:
    """``value`` with the differences a case- and accent-insensitive collation ignores removed."""
    if isinstance(value, tuple):
        return tuple(loose(part) for part in value)
    if not isinstance(value, str):
        return value
    decomposed = unicodedata.normalize("NFKD", value.rstrip(" "))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


class Pairing:
    """Pair value tuples a database returned with the tuples asked for."""

    def __init__(self, wanted: Iterable[tuple[Any, ...]]) -> None:
        self.wanted = wanted if isinstance(wanted, set | dict) else set(wanted)
        self._loose: dict[Any, tuple[Any, ...]] | None = None

    def __call__(self, found: tuple[Any, ...]) -> tuple[Any, ...] | None:
        """The value asked for that ``found`` stands for, or None."""
        if found in self.wanted:
            return found
        if self._loose is None:
            self._loose = {}
            for value in self.wanted:
                self._loose.setdefault(loose(value), value)
        return self._loose.get(loose(found))
