"""The slots of a large :class:`~.keypairs.KeyPairs`, in a file, a few pages of them in memory.

A remap import of ten million rows maps ten million archive keys to the
keys it wrote: eight bytes a pair in an array is still 80 MB. Past
``GRAFT["SERVER_SIDE_KEYS"]`` pairs, a model's slots move to a scratch
file (:mod:`.scratch`) in pages of 4,096 slots, of which the 64 used last
stay in memory (2 MiB). The import asks the map a chunk of rows at a time,
and the rows of a chunk link to keys close together (their parents, written
just before), so nearly every question finds its page in memory.

Slots are addressed by offset from the first, as in an array; widening at
the front moves no page, only where offset zero lies.
"""

from __future__ import annotations

from array import array
from collections import OrderedDict, deque
from collections.abc import Iterator
from itertools import repeat
from operator import sub

from django_graft.importer.scratch import ScratchFile

_PAGE = 4_096
_CACHED = 64
#: Where the page asked last starts, before any was: no slot is that far from it.
_NOWHERE = -(1 << 80)


class PagedSlots:
    """A sequence of 64-bit slots, as long as asked, most of it in a scratch file."""

    __slots__ = (
        "_base", "_cache", "_dirty", "_empty", "_file", "_hot", "_hot_start", "_length", "_where",
    )  # fmt: skip

    def __init__(self, slots: array[int], empty: int) -> None:
        """The slots of ``slots``, moved to pages; ``empty`` is the value of a slot never set."""
        self._empty = empty
        self._file = ScratchFile()
        #: {page: its position in the file}; a page not there holds empty slots only.
        self._where: dict[int, int] = {}
        self._cache: OrderedDict[int, array[int]] = OrderedDict()
        self._dirty: set[int] = set()  # the first slots of the pages changed in memory
        self._base = 0  # the place of offset zero among the pages' slots
        self._length = len(slots)
        #: The page asked last and where it starts: most questions ask it again.
        self._hot, self._hot_start = array("q"), _NOWHERE
        blank = array("q", (empty,)) * _PAGE
        for start in range(0, len(slots), _PAGE):
            page = slots[start : start + _PAGE]
            if page != blank[: len(page)]:
                page.extend(blank[len(page) :])
                self._where[start // _PAGE] = self._file.append(page.tobytes())

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, offset: int) -> int:
        at = offset + self._base - self._hot_start
        if 0 <= at < _PAGE:
            return self._hot[at]
        page, at = divmod(offset + self._base, _PAGE)
        return self._page(page)[at]

    def __setitem__(self, offset: int, value: int) -> None:
        index = offset + self._base
        at = index - self._hot_start
        if not 0 <= at < _PAGE:
            self._page(index // _PAGE)
            at = index - self._hot_start
        self._hot[at] = value
        self._dirty.add(self._hot_start)  # pages are named by their first slot here

    def __iter__(self) -> Iterator[int]:
        """Every slot's value in order, a page at a time."""
        first = self._base
        for page in range(first // _PAGE, (first + self._length - 1) // _PAGE + 1):
            values = self._page(page)
            low = max(first - page * _PAGE, 0)
            high = min(first + self._length - page * _PAGE, _PAGE)
            yield from values[low:high]

    def span(self, first: int, last: int) -> tuple[array[int], int] | None:
        """A copy of the pages holding offsets ``first`` to ``last``, and its first slot's offset.

        None where they are more pages than memory keeps.
        """
        low, high = (first + self._base) // _PAGE, (last + self._base) // _PAGE
        if high - low >= _CACHED:
            return None
        values = array("q")
        for page in range(low, high + 1):
            values.extend(self._page(page))
        return values, low * _PAGE - self._base

    def put_span(self, values: array[int], start: int) -> None:
        """Write back a :meth:`span`, whose first slot is at offset ``start``."""
        first = start + self._base
        for at in range(0, len(values), _PAGE):
            page = self._page((first + at) // _PAGE)
            page[:] = values[at : at + _PAGE]
            self._dirty.add(self._hot_start)

    def grow(self, front: int, back: int) -> None:
        """Add ``front`` empty slots before the first and ``back`` after the last."""
        self._base -= front
        self._length += front + back

    def copy(self) -> PagedSlots:
        copied = PagedSlots(array("q"), self._empty)
        copied._base, copied._length = self._base, self._length
        for page in sorted(self._where.keys() | {start // _PAGE for start in self._dirty}):
            copied._where[page] = copied._file.append(self._page(page).tobytes())
        return copied

    def _page(self, page: int) -> array[int]:
        cache = self._cache
        values = cache.get(page)
        if values is not None:
            cache.move_to_end(page)
            self._hot, self._hot_start = values, page * _PAGE
            return values
        values = array("q")
        where = self._where.get(page)
        if where is None:
            values = array("q", (self._empty,)) * _PAGE
        else:
            values.frombytes(self._file.read(where, _PAGE * values.itemsize))
        cache[page] = values
        self._hot, self._hot_start = values, page * _PAGE
        if len(cache) > _CACHED:
            self._store(*cache.popitem(last=False))
        return values

    def _store(self, page: int, values: array[int]) -> None:
        """Write a page leaving memory, if it changed there."""
        if page * _PAGE not in self._dirty:
            return
        self._dirty.discard(page * _PAGE)
        where = self._where.get(page)
        if where is None:
            self._where[page] = self._file.append(values.tobytes())
        else:
            self._file.write(where, values.tobytes())


def take(slots: array[int] | PagedSlots, offsets: list[int]) -> list[int]:
    """``[slots[offset] for offset in offsets]``, without a call per offset where it can."""
    if type(slots) is PagedSlots and offsets:
        span = slots.span(min(offsets), max(offsets))
        if span is not None:
            values, start = span
            return list(map(values.__getitem__, map(sub, offsets, repeat(start))))
    return list(map(slots.__getitem__, offsets))


def put(slots: array[int] | PagedSlots, offsets: list[int], values: list[int], empty: int) -> int:
    """Set each slot of ``offsets`` (no two alike) to its value; return how many were ``empty``."""
    target: array[int] | PagedSlots = slots
    start = 0
    if type(slots) is PagedSlots and offsets:
        span = slots.span(min(offsets), max(offsets))
        if span is not None:
            target, start = span
    at = list(map(sub, offsets, repeat(start))) if start else offsets
    filled = list(map(target.__getitem__, at)).count(empty)
    deque(map(target.__setitem__, at, values), maxlen=0)  # run in C
    if target is not slots:
        assert type(slots) is PagedSlots and type(target) is array
        slots.put_span(target, start)
    return filled
