"""KeyList keeps keys as the list it replaces would, compact or not."""

from __future__ import annotations

import uuid
from array import array

import pytest

from django_graft.importer.keylist import KeyList, KeysBut


def test_integer_keys_are_held_in_an_array() -> None:
    keys = KeyList(range(5))
    keys.append(-(1 << 63))
    keys.extend([(1 << 63) - 1])
    assert [type(chunk) for chunk in keys.chunks()] == [array]
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
        for made in (appended, extended):
            assert [type(chunk) for chunk in made.chunks()] == [list]


def test_an_empty_list_is_false_and_equal_to_an_empty_list() -> None:
    keys = KeyList()
    assert not keys and keys == [] and keys == KeyList()
    keys.extend(iter([7]))
    assert keys and keys == [7] and keys != [8]


def test_keys_but_others_are_a_view_in_the_first_list_s_order() -> None:
    keys, needed = KeyList([5, 3, 9, 1]), KeyList()
    owned = KeysBut(keys, needed)
    assert list(owned) == [5, 3, 9, 1] and len(owned) == 4 and 9 in owned
    needed.extend([9, 5])  # the view follows both lists as they grow
    keys.append(7)
    assert list(owned) == [3, 1, 7] and len(owned) == 3
    assert 9 not in owned and 7 in owned and 2 not in owned and owned
    assert not KeysBut(KeyList([4]), KeyList([4]))


def test_past_its_limit_a_list_writes_its_keys_to_a_file_and_reads_them_back() -> None:
    keys = KeyList(range(3), spill_past=4)
    keys.extend(range(3, 10))
    keys.append(10)
    assert keys._written == 8 and list(keys._items) == [8, 9, 10]  # whole blocks of four
    assert list(keys) == list(range(11)) and len(keys) == 11 and keys
    assert keys[0] == 0 and keys[5] == 5 and keys[-1] == 10 and keys[-11] == 0
    assert keys[2:9] == list(range(2, 9)) and keys[::4] == [0, 4, 8] and keys[9:2] == []
    assert 6 in keys and 10 in keys and 11 not in keys
    assert keys == list(range(11)) and keys == KeyList(range(11)) and keys != list(range(10))
    # Two readers in turn each read their own place in the file.
    first, second = iter(keys), iter(keys)
    assert [next(first), next(second), next(first)] == [0, 0, 1]
    with pytest.raises(IndexError):
        keys[11]
    keys.close()


def test_a_key_no_array_holds_reads_the_file_back_into_a_list() -> None:
    keys = KeyList(range(6), spill_past=2)
    assert keys._written == 6
    keys.append("a")
    assert keys._written == 0 and list(keys) == [0, 1, 2, 3, 4, 5, "a"]
    keys.extend(range(6, 9))  # a list now: nothing more is written
    assert [type(chunk) for chunk in keys.chunks()] == [list] and len(keys) == 10


def test_at_its_limit_or_without_one_a_list_stays_in_memory() -> None:
    assert KeyList(range(4), spill_past=4)._written == 0
    assert KeyList(range(10**5))._written == 0


def test_keys_but_many_others_walk_both_lists_in_order() -> None:
    keys, others = KeyList(range(200_000), spill_past=1_000), KeyList(range(0, 200_000, 2))
    owned = KeysBut(keys, others)
    assert list(owned) == list(range(1, 200_000, 2)) and len(owned) == 100_000
    keys.close()
