"""A list of an archive's keys, eight bytes a key while they are 64-bit integers.

A spool remembers each model's keys in archive order (every key, the owned,
the needed). A Python list of a million integers costs about 36 bytes a key
(the list's slot and the integer object); an ``array`` of 64-bit integers
costs eight. The first key no such array holds (a UUID, a string, an integer
past 64 bits) turns the keys into a list, so any key can be appended.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, overload

_SMALLEST, _LARGEST = -(1 << 63), (1 << 63) - 1


class KeyList(Sequence[Any]):
    """An append-only sequence of keys, compact while they are integers."""

    __slots__ = ("_items",)

    def __init__(self, keys: Iterable[Any] = ()) -> None:
        self._items: array[int] | list[Any] = array("q")
        self.extend(keys)

    def __repr__(self) -> str:
        return f"KeyList({list(self._items)!r})"

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __eq__(self, other: object) -> bool:
        if isinstance(other, KeyList):
            other = other._items
        return isinstance(other, (list, array)) and list(self._items) == list(other)

    __hash__ = None  # type: ignore[assignment]  # mutable, as a list

    @overload
    def __getitem__(self, index: int) -> Any: ...
    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...
    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return list(self._items[index])
        return self._items[index]

    @property
    def held(self) -> array[int] | list[Any]:
        """The keys as the array or list that holds them, to be read, not changed."""
        return self._items

    def append(self, key: Any) -> None:
        items = self._items
        if type(items) is array and not (type(key) is int and _SMALLEST <= key <= _LARGEST):
            items = self._items = list(items)
        items.append(key)

    def extend(self, keys: Iterable[Any]) -> None:
        keys = keys if isinstance(keys, list) else list(keys)
        items = self._items
        if type(items) is array and keys:
            integers = set(map(type, keys)) <= {int}
            if not (integers and min(keys) >= _SMALLEST and max(keys) <= _LARGEST):
                items = self._items = list(items)
        items.extend(keys)
