"""The span of many integer keys, where counting the rows in it tells they are all there.

Rows written together get consecutive keys from their table's sequence, so
the keys of a tree's rows mostly fill the span from the least to the
greatest. Counting the rows in that span walks the table's key index along
it, where looking the keys up one by one probes the index once per key.
Keys are unique, so the span holds at most as many rows as it is wide, and
holds that many only if every key in it, each of the keys among them, has
its row.
"""

from __future__ import annotations

from typing import Any

#: How much wider than the number of keys their span may be to be counted:
#: past it, counting would read more rows than looking the keys up.
MOST_SPREAD = 2

#: The integers every database's key columns hold (64 bits, signed).
_LEAST, _GREATEST = -(2**63), 2**63 - 1


def within_64_bits(keys: list[int]) -> bool:
    """Whether integer ``keys`` all fit the key columns of every database (64 bits, signed)."""
    return not keys or (min(keys) >= _LEAST and max(keys) <= _GREATEST)


def spanned(keys: list[Any]) -> tuple[int, int] | None:
    """``(least, greatest)`` of integer ``keys`` that fill at least half their span.

    None where they do not, or are not integers (or past 64 bits), or are
    none: the caller looks the keys up one by one.
    """
    if not keys:
        return None
    try:
        low, high = min(keys), max(keys)
    except TypeError:
        return None
    if type(low) is not int or type(high) is not int:
        return None
    if not within_64_bits([low, high]):  # no row's key: for the caller to look up
        return None
    if high - low + 1 > MOST_SPREAD * len(keys):
        return None
    return low, high
