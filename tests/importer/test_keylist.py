"""KeyList keeps keys as the list it replaces would, compact or not."""

from __future__ import annotations

import uuid
from array import array

from django_graft.importer.keylist import KeyList


def test_integer_keys_are_held_in_an_array() -> None:
    keys = KeyList(range(5))
    keys.append(-(1 << 63))
    keys.extend([(1 << 63) - 1])
    assert isinstance(keys.held, array)
    assert list(keys) == [0, 1, 2, 3, 4, -(1 << 63), (1 << 63) - 1]
    assert keys[1] == 1 and keys[-1] == (1 << 63) - 1 and keys[1:3] == [1, 2]
    assert len(keys) == 7 and 3 in keys and 9 not in keys


def test_the_first_key_no_array_holds_turns_it_into_a_list() -> None:
    for odd in (1 << 63, -(1 << 63) - 1, "a", uuid.UUID(int=1), None, True, 2.0):
        appended, extended = KeyList([1, 2]), KeyList([1, 2])
        appended.append(odd)
        extended.extend([3, odd])
        assert list(appended) == [1, 2, odd] and list(extended) == [1, 2, 3, odd]
        assert type(appended[2]) is type(odd) and type(extended[3]) is type(odd)
        assert isinstance(appended.held, list) and isinstance(extended.held, list)


def test_an_empty_list_is_false_and_equal_to_an_empty_list() -> None:
    keys = KeyList()
    assert not keys and keys == [] and keys == KeyList()
    keys.extend(iter([7]))
    assert keys and keys == [7] and keys != [8]
