"""A list of an archive's keys: eight bytes a key while they are 64-bit integers, or none.

A spool remembers each model's keys in archive order (every key, the needed
ones). A Python list of a million integers costs about 36 bytes a key (the
list's slot and the integer object); an ``array`` of 64-bit integers costs
eight. Past ``GRAFT["SERVER_SIDE_KEYS"]`` keys, as a walk moves its keys to
a table, a list moves its keys to a temporary file a block at a time and
reads them back in order from there: its memory then stays that of one
block, however many keys the archive holds (ten million rows would
otherwise hold 80 MB for this list alone). The first key no array holds (a
UUID, a string, an integer past 64 bits) turns the keys into a Python list,
so any key can be appended.
"""

from __future__ import annotations

from array import array
from collections.abc import Collection, Iterable, Iterator, Sequence
from itertools import chain, filterfalse, islice
from typing import Any, overload

from django_graft.conf import graft_settings
from django_graft.importer.scratch import ScratchFile

_SMALLEST, _LARGEST = -(1 << 63), (1 << 63) - 1

#: Keys held in memory at most once a list writes to its file (512 KiB).
_BLOCK = 1 << 16
_WIDTH = array("q").itemsize
_NONE_LEFT = object()


class KeyList(Sequence[Any]):
    """An append-only sequence of keys, compact while they are integers."""

    __slots__ = ("_file", "_items", "_limit", "_written")

    def __init__(self, keys: Iterable[Any] = (), *, spill_past: int | None = None) -> None:
        """``spill_past``: past this many integer keys, write them to a file (None: never)."""
        #: The keys not in the file, after those that are.
        self._items: array[int] | list[Any] = array("q")
        self._file: ScratchFile | None = None
        self._written = 0  # keys in the file
        self._limit = spill_past
        self.extend(keys)

    @classmethod
    def for_archive(cls) -> KeyList:
        """A list that moves to a file past ``GRAFT["SERVER_SIDE_KEYS"]`` keys."""
        return cls(spill_past=graft_settings.SERVER_SIDE_KEYS)

    def __repr__(self) -> str:
        return f"KeyList({list(self)!r})"

    def __len__(self) -> int:
        return self._written + len(self._items)

    def __bool__(self) -> bool:
        return bool(self._written or self._items)

    def __iter__(self) -> Iterator[Any]:
        return chain.from_iterable(self.chunks())

    def chunks(self) -> Iterator[array[int] | list[Any]]:
        """The keys in order, a block at a time (the arrays are read, not changed)."""
        for start in range(0, self._written, _BLOCK):
            yield self._read(start, min(start + _BLOCK, self._written))
        if self._items:
            yield self._items

    def __contains__(self, key: object) -> bool:
        return any(key in chunk for chunk in self.chunks())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, (KeyList, list, array)):
            return False
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]  # mutable, as a list

    @overload
    def __getitem__(self, index: int) -> Any: ...
    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...
    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                return list(self)[index]
            return list(islice(self, start, max(start, stop)))
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("key list index out of range")
        if index >= self._written:
            return self._items[index - self._written]
        return self._read(index, index + 1)[0]

    def append(self, key: Any) -> None:
        items = self._items
        if type(items) is array and not (type(key) is int and _SMALLEST <= key <= _LARGEST):
            items = self._as_list()
        items.append(key)
        self._spill()

    def extend(self, keys: Iterable[Any]) -> None:
        keys = keys if isinstance(keys, list) else list(keys)
        items = self._items
        if type(items) is array and keys:
            integers = set(map(type, keys)) <= {int}
            if not (integers and min(keys) >= _SMALLEST and max(keys) <= _LARGEST):
                items = self._as_list()
        items.extend(keys)
        self._spill()

    def close(self) -> None:
        """Remove the file, if the list wrote one; the list is not to be read after."""
        if self._file is not None:
            self._file.close()

    # -- the file ------------------------------------------------------------

    def _spill(self) -> None:
        """Past the limit, write the keys held in memory to the file, whole blocks of them."""
        items, limit = self._items, self._limit
        if limit is None or type(items) is not array or len(self) <= limit:
            return
        block = max(1, min(limit, _BLOCK))
        if len(items) < block:
            return
        if self._file is None:
            self._file = ScratchFile()  # closed by the spool that holds the list, or collected
        whole = len(items) - len(items) % block
        self._file.append(items[:whole].tobytes())
        self._written += whole
        del items[:whole]

    def _read(self, start: int, stop: int) -> array[int]:
        """Keys ``start`` to ``stop`` of those in the file."""
        assert self._file is not None
        read = array("q")
        read.frombytes(self._file.read(start * _WIDTH, (stop - start) * _WIDTH))
        return read

    def _as_list(self) -> list[Any]:
        """The keys as a Python list, the file's read back: a key no array holds is coming."""
        items = self._items = list(self)
        self._written, self._limit = 0, None
        self.close()
        self._file = None
        return items


class KeysBut(Collection[Any]):
    """The keys of one list but those of another, in the first one's order: a view, not a copy.

    A spool's owned keys are its keys but the needed ones, which are few:
    read so, the owned keys of a million rows cost nothing beside the list
    of every key, where a list of their own would cost eight bytes a key.
    """

    __slots__ = ("_but", "_keys")

    def __init__(self, keys: KeyList, but: KeyList) -> None:
        # Every key of ``but`` is once in ``keys``, and they come in the same order.
        self._keys, self._but = keys, but

    def __repr__(self) -> str:
        return f"KeysBut({list(self)!r})"

    def __len__(self) -> int:
        return len(self._keys) - len(self._but)

    def __bool__(self) -> bool:
        return len(self) > 0

    def __iter__(self) -> Iterator[Any]:
        if not self._but:
            return iter(self._keys)
        if len(self._but) <= _BLOCK:
            return filterfalse(set(self._but).__contains__, self._keys)
        return self._merged()

    def _merged(self) -> Iterator[Any]:
        """The keys but the others, walking both lists: the others come in the same order,
        and a set of millions of them would cost 70 bytes a key."""
        others = iter(self._but)
        other = next(others, _NONE_LEFT)
        for key in self._keys:
            if other is not _NONE_LEFT and key == other:
                other = next(others, _NONE_LEFT)
            else:
                yield key

    def __contains__(self, key: object) -> bool:
        return key not in self._but and key in self._keys
