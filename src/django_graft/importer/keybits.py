"""Sets of integer keys held as bits: one bit per value between the smallest and the largest.

An import of a million rows asks, row by row, whether a key is in the
archive, among the rows to create, among those still to write. As Python
sets of integers those questions cost about 60 bytes a key (the set's slot
and the integer object); as bits over the keys' span they cost a bit per
value in the span, a few kilobytes for a model whose keys are dense, as
keys a sequence hands out are. A span far wider than the keys (a few
keys scattered over a wide range) is kept as a Python set instead, so a
:class:`KeyBits` never costs much more than the set it replaces.

Bits are used past ``GRAFT["SERVER_SIDE_KEYS"]`` keys of one model
(:func:`key_set`); below that, a Python set is faster and small.

Only plain integers (and booleans, which Python compares as integers) can
be members: any other value is simply not in the set, as it would not be
in a set of integers.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, MutableSet
from itertools import islice
from typing import Any

from django_graft.conf import graft_settings

#: The bit positions set in each byte value, for iterating.
_POSITIONS = tuple(tuple(bit for bit in range(8) if value >> bit & 1) for value in range(256))

#: A span wider than this many bits a key (plus a floor) is kept as a set:
#: 256 bits are 32 bytes, about half of what a set costs a key. Keys that far
#: apart (a tenant's rows among many others') are iterated more slowly than
#: a set's (every byte of the span is looked at), but lookups cost the same.
_BITS_PER_KEY = 256
_FLOOR = 1 << 20

#: Keys added at once by :meth:`KeyBits.update`.
_CHUNK = 10_000


class KeyBits(MutableSet[Any]):
    """A mutable set of integers, kept as a bitmap while their span is narrow."""

    __slots__ = ("_bits", "_count", "_low", "_set")

    def __init__(self, keys: Iterable[Any] = ()) -> None:
        self._bits = bytearray()
        self._low = 0  # the value of the first bit
        self._count = 0
        self._set: set[Any] | None = None  # where the span grew too wide
        self.update(keys)

    @classmethod
    def _from_iterable(cls, keys: Iterable[Any]) -> set[Any]:
        # What the operators of collections.abc.Set return: a Python set, as
        # the set operations of a plan's sets return elsewhere.
        return set(keys)

    def __repr__(self) -> str:
        return f"<KeyBits: {self._count if self._set is None else len(self._set)} keys>"

    def __len__(self) -> int:
        return self._count if self._set is None else len(self._set)

    def __contains__(self, key: Any) -> bool:
        if self._set is not None:
            return key in self._set
        integer = key if isinstance(key, int) else as_integer(key)
        if integer is None:
            return False
        offset = integer - self._low
        if offset < 0 or offset >= len(self._bits) << 3:
            return False
        return self._bits[offset >> 3] >> (offset & 7) & 1 == 1

    def __iter__(self) -> Iterator[int]:
        """The keys in ascending order (a Python set's order, where the span was too wide)."""
        if self._set is not None:
            yield from self._set
            return
        low, positions = self._low, _POSITIONS
        for index, byte in enumerate(self._bits):
            if byte:
                base = low + (index << 3)
                for bit in positions[byte]:
                    yield base + bit

    def add(self, key: Any) -> None:
        if self._set is not None:
            self._set.add(key)
            return
        if type(key) is not int:
            if not isinstance(key, int):
                self._widen().add(key)
                return
            key = int(key)  # a bool, or an int subclass
        offset = key - self._low
        if offset < 0 or offset >= len(self._bits) << 3:
            if not self._reserve(key, key):
                self._widen().add(key)
                return
            offset = key - self._low
        index, mask = offset >> 3, 1 << (offset & 7)
        byte = self._bits[index]
        if not byte & mask:
            self._bits[index] = byte | mask
            self._count += 1

    def discard(self, key: Any) -> None:
        if self._set is not None:
            self._set.discard(key)
            return
        if not isinstance(key, int):
            key = as_integer(key)
            if key is None:
                return
        offset = key - self._low
        if 0 <= offset < len(self._bits) << 3:
            index, mask = offset >> 3, 1 << (offset & 7)
            byte = self._bits[index]
            if byte & mask:
                self._bits[index] = byte & ~mask
                self._count -= 1

    # -- what Python's sets offer beside MutableSet ---------------------------

    def update(self, *keys: Iterable[Any]) -> None:
        for some in keys:
            if isinstance(some, KeyBits) and some._set is None and self._set is None:
                self._combine(some, keep=False)
                continue
            iterator = iter(some)
            while chunk := list(islice(iterator, _CHUNK)):
                integers = self._set is None and set(map(type, chunk)) <= {int}
                if integers and self._reserve(min(chunk), max(chunk), len(chunk)):
                    self._set_bits(chunk)
                    continue
                for key in chunk:
                    self.add(key)

    def difference_update(self, *keys: Iterable[Any]) -> None:
        for some in keys:
            if self._set is not None:
                self._set.difference_update(some)
            elif isinstance(some, KeyBits) and some._set is None:
                self._combine(some, keep=True)
            else:
                iterator = iter(some)
                while chunk := list(islice(iterator, _CHUNK)):
                    if set(map(type, chunk)) <= {int}:
                        self._clear_bits(chunk)
                    else:
                        for key in chunk:
                            self.discard(key)

    def members(self, keys: Iterable[Any]) -> list[bool]:
        """``[key in self for key in keys]``, without a call per key where they are integers."""
        keys = keys if isinstance(keys, (list, array)) else list(keys)
        if self._set is not None or not set(map(type, keys)) <= {int}:
            return list(map(self.__contains__, keys))
        bits, low, width = self._bits, self._low, len(self._bits) << 3
        return [
            0 <= (offset := key - low) < width and bits[offset >> 3] >> (offset & 7) & 1 == 1
            for key in keys
        ]

    def intersection(self, *keys: Iterable[Any]) -> set[Any]:
        if not keys:
            return set(self)
        found = {key for key in keys[0] if key in self}  # the other keys are fewer
        for some in keys[1:]:
            found.intersection_update(some)
        return found

    def issubset(self, keys: Iterable[Any]) -> bool:
        if isinstance(keys, KeyBits) and keys._set is None and self._set is None:
            return self._within(keys)
        other = keys if isinstance(keys, (set, frozenset, KeyBits)) else set(keys)
        return len(self) <= len(other) and all(key in other for key in self)

    def copy(self) -> KeyBits:
        copied = KeyBits()
        copied._bits, copied._low, copied._count = bytearray(self._bits), self._low, self._count
        copied._set = None if self._set is None else set(self._set)
        return copied

    __copy__ = copy  # copy.copy would otherwise share the bytearray

    def clear(self) -> None:
        self._bits, self._low, self._count, self._set = bytearray(), 0, 0, None

    # -- the span ------------------------------------------------------------

    def _reserve(self, first: int, last: int, coming: int = 1) -> bool:
        """Widen the bitmap to hold ``first`` to ``last`` before ``coming`` keys are added.

        False when the span would be too wide for bits.
        """
        end = self._low + (len(self._bits) << 3)
        if self._bits and self._low <= first and last < end:
            return True
        if not self._count:  # nothing set: start afresh around the keys
            if last - first > _BITS_PER_KEY * coming + _FLOOR:
                return False
            self._low = first - (first & 7)
            self._bits = bytearray(((last - self._low) >> 3) + 1)
            return True
        low, high = min(self._low, first - (first & 7)), max(end, last + 1)
        if high - low > _BITS_PER_KEY * (self._count + coming) + _FLOOR:
            return False
        # Grown by half again at the side that grows, so a run of keys
        # arriving in order, ascending or descending, is copied a bounded
        # number of times (a few, not one per megabit).
        grown = (len(self._bits) >> 1) << 3
        if first < self._low:
            low = min(low, self._low - grown)
            low -= low & 7
            self._bits[:0] = bytearray((self._low - low) >> 3)
            self._low = low
        if last >= end:
            end = max(high, end + grown)
            self._bits.extend(bytearray(((end - self._low) >> 3) + 1 - len(self._bits)))
        return True

    def _set_bits(self, keys: list[int]) -> None:
        """Set the bits of integer keys the bitmap covers (the loop of :meth:`add`, inlined)."""
        bits, low, added = self._bits, self._low, 0
        for key in keys:
            offset = key - low
            index, mask = offset >> 3, 1 << (offset & 7)
            byte = bits[index]
            if not byte & mask:
                bits[index] = byte | mask
                added += 1
        self._count += added

    def _clear_bits(self, keys: list[int]) -> None:
        """Clear the bits of integer keys (the loop of :meth:`discard`, inlined)."""
        bits, low, width, gone = self._bits, self._low, len(self._bits) << 3, 0
        for key in keys:
            offset = key - low
            if 0 <= offset < width:
                index, mask = offset >> 3, 1 << (offset & 7)
                byte = bits[index]
                if byte & mask:
                    bits[index] = byte & ~mask
                    gone += 1
        self._count -= gone

    def _combine(self, other: KeyBits, *, keep: bool) -> None:
        """Add ``other``'s bits to these (``keep=False``), or take them out (``keep=True``)."""
        if not other._count:
            return
        last = other._low + (len(other._bits) << 3) - 1
        if not keep and not self._reserve(other._low, last, other._count):
            self._widen().update(other)
            return
        # Both lows are multiples of 8: the other's bytes line up with these,
        # and only the bytes both cover change.
        shift = (other._low - self._low) >> 3
        start, stop = max(0, shift), min(len(self._bits), shift + len(other._bits))
        if start >= stop:
            return
        mine = int.from_bytes(self._bits[start:stop], "little")
        theirs = int.from_bytes(other._bits[start - shift : stop - shift], "little")
        changed = mine & ~theirs if keep else mine | theirs
        self._bits[start:stop] = changed.to_bytes(stop - start, "little")
        self._count += changed.bit_count() - mine.bit_count()

    def _within(self, other: KeyBits) -> bool:
        """Whether every bit set here is set in ``other`` (both bitmaps)."""
        # Both lows are multiples of 8, so bytes line up; only the bytes both
        # cover are compared as integers, the rest of these must be empty.
        shift = (other._low - self._low) >> 3
        start, stop = max(0, shift), min(len(self._bits), shift + len(other._bits))
        if start >= stop:
            return not self._count
        if any(self._bits[:start]) or any(self._bits[stop:]):
            return False
        mine = int.from_bytes(self._bits[start:stop], "little")
        theirs = int.from_bytes(other._bits[start - shift : stop - shift], "little")
        return not mine & ~theirs

    def _widen(self) -> set[Any]:
        """Turn the bitmap into a Python set: the span is too wide for bits, or a key no integer."""
        self._set = set(self)
        self._bits, self._low, self._count = bytearray(), 0, 0
        return self._set


def as_integer(key: Any) -> int | None:
    """The integer a number equals (``3.0``, ``Decimal(3)``), as a Python set would find it."""
    try:
        integer = int(key)
    except (TypeError, ValueError, OverflowError):  # no number, NaN or infinity
        return None
    return integer if integer == key else None


#: What a plan holds a model's keys in: bits where they are integers, else a set.
KeySet = set[Any] | KeyBits


def members(keys: KeySet, asked: Iterable[Any]) -> list[bool]:
    """Whether each key ``asked`` about is in ``keys``, in one call for a chunk of rows."""
    if isinstance(keys, KeyBits):
        return keys.members(asked)
    return list(map(keys.__contains__, asked))


def bits_for(integers: bool, count: int) -> bool:
    """Whether ``count`` keys of a model are held as bits rather than as a Python set.

    Past ``GRAFT["SERVER_SIDE_KEYS"]`` integer keys of one model, as a walk
    moves its keys to a table: below, a set answers faster (a bitmap is
    asked through Python calls), and the memory it saves is small.
    """
    limit = graft_settings.SERVER_SIDE_KEYS
    return integers and limit is not None and count > limit


def key_set(integers: bool, count: int = 0) -> KeySet:
    """An empty set for ``count`` keys of a model: bits past the limit, else a Python set."""
    return KeyBits() if bits_for(integers, count) else set()
