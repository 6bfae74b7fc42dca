"""Maps of integer keys to integer keys, held as one machine word a key.

A remap import of a million rows holds, for each model, where every
archive key went: ``{archive key: new key}``. As a Python dictionary of
integers that costs about a hundred bytes a pair (the dictionary's entry
and index, and an integer object on each side). Keys a sequence handed
out lie close together, so :class:`KeyPairs` keeps the new keys in an
array indexed by the archive key's distance from the smallest: eight
bytes a slot, and a span at most a few times the number of keys. Pairs
that do not fit (a key far from the others, a key or value that is no
64-bit integer: a UUID, a string) go to a dictionary beside it, so any
key a dictionary takes, a :class:`KeyPairs` takes too, and finds it as a
dictionary would (``3.0`` finds ``3``). Past ``GRAFT["SERVER_SIDE_KEYS"]``
pairs, the map an import makes (:meth:`KeyPairs.for_import`) keeps its
slots in a file, a few pages of them in memory (:mod:`.keypages`).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from itertools import islice, repeat
from operator import itemgetter, sub
from typing import Any

from django_graft.conf import graft_settings
from django_graft.importer.keybits import as_integer
from django_graft.importer.keypages import PagedSlots, put, take

#: The value of a slot that holds no pair: the one 64-bit integer no value takes.
_EMPTY = -(1 << 63)
_LARGEST = (1 << 63) - 1

#: A span wider than this many slots a key (plus a floor) sends the pair to
#: the dictionary: four slots are 32 bytes, a third of what a dictionary
#: costs a pair.
_SLOTS_PER_KEY = 4
_FLOOR = 1 << 10

#: Pairs added at once by :meth:`KeyPairs.update`.
_CHUNK = 10_000

_MISSING = object()


def _slot_value(value: Any) -> bool:
    """Whether ``value`` can be held in a slot (and be read back as the very same value)."""
    return type(value) is int and _EMPTY < value <= _LARGEST


class KeyPairs(MutableMapping[Any, Any]):
    """``{archive key: key written}`` for one model, compact where the keys are integers."""

    __slots__ = ("_count", "_limit", "_low", "_other", "_slots")

    def __init__(
        self,
        pairs: Mapping[Any, Any] | Iterable[tuple[Any, Any]] = (),
        *,
        page_past: int | None = None,
    ) -> None:
        """``page_past``: past this many pairs in slots, the slots go to a file (None: never)."""
        self._slots: array[int] | PagedSlots = array("q")
        self._low = 0  # the archive key of the first slot
        self._count = 0  # slots holding a value
        self._other: dict[Any, Any] = {}  # the pairs no slot holds
        self._limit = page_past
        self.update(pairs)

    @classmethod
    def for_import(cls) -> KeyPairs:
        """A map whose slots go to a file past ``GRAFT["SERVER_SIDE_KEYS"]`` pairs."""
        return cls(page_past=graft_settings.SERVER_SIDE_KEYS)

    def __repr__(self) -> str:
        return f"<KeyPairs: {len(self)} pairs>"

    def __len__(self) -> int:
        return self._count + len(self._other)

    def __bool__(self) -> bool:
        return bool(self._count or self._other)

    def _offset(self, key: Any) -> int | None:
        """The slot of ``key``, if the slots cover it."""
        if not self._count:
            return None
        integer = key if type(key) is int else as_integer(key)
        if integer is None:
            return None
        offset = integer - self._low
        return offset if 0 <= offset < len(self._slots) else None

    def get(self, key: Any, default: Any = None) -> Any:
        offset = self._offset(key)
        if offset is not None:
            value = self._slots[offset]
            if value != _EMPTY:
                return value
        return self._other.get(key, default) if self._other else default

    def __getitem__(self, key: Any) -> Any:
        value = self.get(key, _MISSING)
        if value is _MISSING:
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        return self.get(key, _MISSING) is not _MISSING

    def __setitem__(self, key: Any, value: Any) -> None:
        integer = key if type(key) is int else as_integer(key) if isinstance(key, int) else None
        if integer is not None and _slot_value(value) and self._reserve(integer, integer, 1):
            if self._other:
                self._other.pop(integer, None)
            offset = integer - self._low
            if self._slots[offset] == _EMPTY:
                self._count += 1
                self._page_if_past_limit()
            self._slots[offset] = value
            return
        self._clear_slot(key)
        self._other[key] = value

    def __delitem__(self, key: Any) -> None:
        if not self._clear_slot(key):
            del self._other[key]

    def __iter__(self) -> Iterator[Any]:
        """The keys the slots hold, ascending (as integers), then the others.

        Unlike a dictionary's, the order is not the order the keys were set.
        """
        for key, _ in self._held():
            yield key
        yield from self._other

    def _held(self) -> Iterator[tuple[int, int]]:
        """The pairs the slots hold."""
        low = self._low
        for offset, value in enumerate(self._slots):
            if value != _EMPTY:
                yield low + offset, value

    def clear(self) -> None:
        self._slots, self._low, self._count, self._other = array("q"), 0, 0, {}

    def update(self, *others: Any, **named: Any) -> None:
        """Add pairs, a chunk at a time: integer pairs without a call per pair."""
        for other in (*others, named):
            pairs = iter(other.items() if isinstance(other, Mapping) else other)
            while chunk := list(islice(pairs, _CHUNK)):
                if _pairs(chunk):
                    self.set_many(list(map(_first, chunk)), list(map(_second, chunk)))
                    continue
                for key, value in chunk:  # refused as a dictionary refuses it, or taken
                    self[key] = value

    def set_many(self, keys: list[Any], values: list[Any]) -> None:
        """``self[key] = value`` for each pair of ``keys`` and ``values``, in order.

        Integer pairs the slots can cover are set without a call per pair.
        """
        if (
            keys
            and set(map(type, keys)) == {int}
            and set(map(type, values)) == {int}
            and min(values) > _EMPTY
            and max(values) <= _LARGEST
            and self._reserve(min(keys), max(keys), len(keys))
        ):
            self._fill(keys, values)
            return
        for key, value in zip(keys, values, strict=True):
            self[key] = value

    def mapped(self, keys: list[Any]) -> list[Any]:
        """``[self.get(key, key) for key in keys]``: each key as written, without a call per key."""
        return self._lookup(keys, None)

    def values_of(self, keys: list[Any]) -> list[Any]:
        """``[self[key] for key in keys]``, without a call per key: KeyError for a key not held."""
        found = self._lookup(keys, _MISSING)
        for key, value in zip(keys, found, strict=True):
            if value is _MISSING:
                raise KeyError(key)
        return found

    def _lookup(self, keys: list[Any], missing: Any) -> list[Any]:
        """Each key's value; where none is held, ``missing``, or the key itself if that is None."""
        other = self._other
        if not self._count:
            get = other.get
            return [get(key, key if missing is None else missing) for key in keys]
        kinds = set(map(type, keys))
        if not kinds <= {int, type(None)}:
            return [self.get(key, key if missing is None else missing) for key in keys]
        low, width = self._low, len(self._slots)
        if keys and kinds == {int} and low <= min(keys) and max(keys) < low + width:
            # Every key within the slots: read in C, the dictionary asked
            # only where a slot is empty.
            found = take(self._slots, list(map(sub, keys, repeat(low))))
            if _EMPTY not in found:
                return found
        slots = self._slots
        # The slots first; the dictionary only for the keys they do not hold.
        return [
            value
            if key is not None
            and 0 <= (offset := key - low) < width
            and (value := slots[offset]) != _EMPTY
            else other.get(key, key if missing is None else missing)
            if other
            else key
            if missing is None
            else missing
            for key in keys
        ]

    def copy(self) -> KeyPairs:
        copied = KeyPairs(page_past=self._limit)
        slots = self._slots
        copied._slots = slots.copy() if isinstance(slots, PagedSlots) else array("q", slots)
        copied._low, copied._count, copied._other = self._low, self._count, dict(self._other)
        return copied

    __copy__ = copy  # copy.copy would otherwise share the array and the dictionary

    # -- the span ------------------------------------------------------------

    def _fill(self, keys: list[int], values: list[int]) -> None:
        """Put integer pairs in the slots that cover them (the loop of ``self[key] = value``)."""
        other = self._other
        if other:
            for key in keys:
                other.pop(key, None)
        offsets = list(map(sub, keys, repeat(self._low)))
        if len(set(offsets)) == len(offsets):
            self._count += put(self._slots, offsets, values, _EMPTY)
        else:  # a key given twice: the slot is filled once, and holds the last value
            slots = self._slots
            for offset, value in zip(offsets, values, strict=True):
                if slots[offset] == _EMPTY:
                    self._count += 1
                slots[offset] = value
        self._page_if_past_limit()

    def _page_if_past_limit(self) -> None:
        """Past the limit, move the slots from memory to pages of a file."""
        slots, limit = self._slots, self._limit
        if limit is not None and self._count > limit and type(slots) is array:
            self._slots = PagedSlots(slots, _EMPTY)

    def _clear_slot(self, key: Any) -> bool:
        """Empty the slot of ``key``; whether it held a value."""
        offset = self._offset(key)
        if offset is None or self._slots[offset] == _EMPTY:
            return False
        self._slots[offset] = _EMPTY
        self._count -= 1
        return True

    def _reserve(self, first: int, last: int, coming: int) -> bool:
        """Widen the slots to cover ``first`` to ``last`` before ``coming`` pairs are added.

        False when the span would be too wide for slots.
        """
        slots, low = self._slots, self._low
        end = low + len(slots)
        if slots and low <= first and last < end:
            return True
        if not self._count:  # nothing held: start afresh around the keys
            if last - first >= _SLOTS_PER_KEY * coming + _FLOOR:
                return False
            self._low, self._slots = first, _empty(last - first + 1)
            return True
        start, stop = min(low, first), max(end, last + 1)
        if stop - start > _SLOTS_PER_KEY * (self._count + coming) + _FLOOR:
            if self._count > _FLOOR or last - first >= _SLOTS_PER_KEY * coming + _FLOOR:
                return False
            # A few pairs held so far (one far key, say, the archive's first)
            # go to the dictionary, and the slots start afresh around these:
            # each pair moves once, and the keys that follow find slots.
            self._other.update(self._held())
            self._low, self._slots, self._count = first, _empty(last - first + 1), 0
            return True
        # Grown by half again at the side that grows, so keys arriving in
        # order, ascending or descending, are copied a bounded number of times.
        grown = len(slots) >> 1
        front = back = 0
        if first < low:
            start = min(start, low - grown)
            front, self._low = low - start, start
        if last >= end:
            back = max(stop, end + grown) - end
        if isinstance(slots, PagedSlots):
            slots.grow(front, back)  # no slot moves
        else:
            slots[:0] = _empty(front)
            slots.extend(_empty(back))
        return True


_first, _second = itemgetter(0), itemgetter(1)


def _pairs(items: list[Any]) -> bool:
    """Whether each item is a sequence of two (what else a dictionary takes goes one by one)."""
    try:
        return set(map(len, items)) == {2}
    except TypeError:
        return False


def _empty(count: int) -> array[int]:
    """``count`` slots holding no value."""
    return array("q", (_EMPTY,)) * count


def mapped(pairs: Mapping[Any, Any] | None, keys: list[Any]) -> list[Any]:
    """Each of ``keys`` as ``pairs`` maps it, or as it is where they do not."""
    if pairs is None:
        return list(keys)
    if isinstance(pairs, KeyPairs):
        return pairs.mapped(keys)
    get = pairs.get
    return [get(key, key) for key in keys]
