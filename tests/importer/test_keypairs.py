"""KeyPairs answers as the Python dictionary it replaces, whatever keys and values it is given."""

from __future__ import annotations

import copy
import random
import uuid
from array import array
from decimal import Decimal
from typing import Any

import pytest

from django_graft.importer.keypages import PagedSlots, put, take
from django_graft.importer.keypairs import KeyPairs, mapped

EMPTY = -(1 << 63)


def _same(pairs: KeyPairs, oracle: dict[Any, Any]) -> None:
    assert len(pairs) == len(oracle)
    assert bool(pairs) == bool(oracle)
    assert dict(pairs.items()) == oracle
    assert sorted(map(repr, pairs)) == sorted(map(repr, oracle))


@pytest.mark.parametrize("page_past", [None, 3], ids=["in memory", "paged"])
def test_random_operations_answer_as_a_dictionary(page_past: int | None) -> None:
    chooser = random.Random(20)
    for _ in range(30):
        pairs, oracle = KeyPairs(page_past=page_past), {}
        base = chooser.choice([0, -5_000, 10**12, (1 << 63) - 3_000])
        for _ in range(600):
            key: Any = base + chooser.randrange(2_000)
            if chooser.random() < 0.02:
                key = base + chooser.randrange(10**9)  # far from the others
            if chooser.random() < 0.02:
                key = str(key)
            value: Any = chooser.randrange(-(1 << 63), 1 << 63)
            if chooser.random() < 0.02:
                value = chooser.choice([None, "x", 1 << 70, -(1 << 63), True, 2.5])
            action = chooser.random()
            if action < 0.5:
                pairs[key], oracle[key] = value, value
            elif action < 0.6:
                chunk = [(base + chooser.randrange(3_000), chooser.randrange(9)) for _ in range(50)]
                pairs.update(chunk)
                oracle.update(chunk)
            elif action < 0.75:
                assert pairs.pop(key, "gone") == oracle.pop(key, "gone")
            else:
                assert pairs.get(key, "none") == oracle.get(key, "none")
                assert (key in pairs) == (key in oracle)
            asked: list[Any] = [base + chooser.randrange(2_100) for _ in range(20)]
            assert pairs.mapped(asked) == [oracle.get(k, k) for k in asked]
            asked += [None, "x"]
            assert pairs.mapped(asked) == [oracle.get(k, k) for k in asked]
            held = [k for k in asked if k in oracle]
            assert pairs.values_of(held) == [oracle[k] for k in held]
        _same(pairs, oracle)


def test_values_are_the_very_values_given() -> None:
    """Values no slot holds as they are (a boolean, a big integer, the empty marker) stay whole."""
    given = {1: True, 2: 1 << 64, 3: -(1 << 63), 4: None, 5: uuid.UUID(int=5), 6: 6}
    pairs = KeyPairs(given)
    for key, value in given.items():
        assert pairs[key] is value or (pairs[key] == value and type(pairs[key]) is type(value))
    _same(pairs, given)


def test_numbers_equal_to_a_key_find_it() -> None:
    pairs = KeyPairs({3: 30, "a": 1})
    assert pairs[3.0] == pairs[Decimal(3)] == pairs[True + 2] == 30
    assert 3.5 not in pairs and "3" not in pairs and b"3" not in pairs
    pairs[3.0] = 31  # the same key, as in a dictionary
    assert len(pairs) == 2 and pairs[3] == 31
    del pairs[Decimal(3)]
    assert 3 not in pairs and len(pairs) == 1
    with pytest.raises(KeyError):
        del pairs[3]


def test_a_key_moves_between_slots_and_the_dictionary() -> None:
    pairs = KeyPairs({1: 10})
    pairs[1] = "ten"  # no slot holds a string: the pair moves out
    assert pairs[1] == "ten" and len(pairs) == 1
    pairs[1] = 11  # and back in
    assert pairs[1] == 11 and len(pairs) == 1
    pairs.update([(1, 12), (2, 20)])
    assert dict(pairs) == {1: 12, 2: 20}


def test_a_million_sequence_keys_cost_a_machine_word_each() -> None:
    keys = range(5_000_000, 6_000_000)
    pairs = KeyPairs(zip(keys, range(1, 1_000_001), strict=True))
    assert len(pairs) == 1_000_000 and pairs[5_999_999] == 1_000_000
    assert not pairs._other
    assert len(pairs._slots) * 8 <= 8 * 1_000_000 * 1.5


def test_keys_arriving_in_descending_order_stay_in_slots() -> None:
    pairs = KeyPairs()
    for key in range(100_000, 0, -1):
        pairs[key] = -key
    assert not pairs._other and len(pairs._slots) < 200_000
    assert pairs.mapped([1, 100_000, 100_001]) == [-1, -100_000, 100_001]


def test_scattered_keys_go_to_the_dictionary() -> None:
    pairs = KeyPairs((key * 10**9, key) for key in range(100))
    assert len(pairs._slots) <= 1 << 11
    assert dict(pairs) == {key * 10**9: key for key in range(100)}


def test_mapped_without_a_map_keeps_every_key() -> None:
    assert mapped(None, [1, None]) == [1, None]
    assert mapped({1: 2}, [1, 3]) == [2, 3]
    assert mapped(KeyPairs({1: 2}), [1, 3]) == [2, 3]


def test_a_far_first_key_leaves_the_slots_to_the_keys_after_it() -> None:
    pairs = KeyPairs()
    pairs.update(zip([2**31 - 1, *range(1, 100_000)], range(100_000), strict=True))
    assert len(pairs._other) == 1 and pairs._count == 99_999
    assert pairs.mapped([2**31 - 1, 1, 99_999, 100_000]) == [0, 1, 99_999, 100_000]


@pytest.mark.parametrize("page_past", [None, 1], ids=["in memory", "paged"])
def test_copies_are_independent(page_past: int | None) -> None:
    pairs = KeyPairs({1: 10, 2: 20, "a": 1}, page_past=page_past)
    for copied in (pairs.copy(), copy.copy(pairs)):
        copied[1], copied["a"] = 99, 2
        del copied[2]
        assert dict(pairs) == {1: 10, 2: 20, "a": 1} and len(pairs) == 3
        assert dict(copied) == {1: 99, "a": 2}


def test_values_of_refuses_a_key_not_held() -> None:
    pairs = KeyPairs({1: 10, 2: 20, "a": "b"})
    assert pairs.values_of([2, 1, "a"]) == [20, 10, "b"]
    with pytest.raises(KeyError, match="3"):
        pairs.values_of([1, 3])
    with pytest.raises(KeyError):
        KeyPairs().values_of([1])


def test_past_its_limit_a_map_keeps_its_slots_in_a_file_a_few_pages_in_memory() -> None:
    keys = range(3_000_000, 0, -3)  # descending: the slots widen at the front
    pairs = KeyPairs(page_past=100_000)
    pairs.update(zip(keys, (key * 2 for key in keys), strict=True))
    assert isinstance(pairs._slots, PagedSlots) and len(pairs) == 1_000_000
    paged = pairs._slots
    assert len(paged._where) > len(paged._cache) == 64  # most pages are in the file
    asked = list(range(0, 3_000_003, 7))
    assert pairs.mapped(asked) == [key * 2 if key % 3 == 0 and key else key for key in asked]
    pairs[6] = -1
    del pairs[9]
    copied = pairs.copy()
    pairs[6] = -2
    assert copied.mapped([3, 6, 9]) == [6, -1, 9] and pairs.mapped([6]) == [-2]
    assert sum(1 for _ in copied) == 999_999 and dict(copied.items())[2_999_997] == 5_999_994


@pytest.mark.parametrize("spread", [3_000, 40_000, 600_000], ids=["a page", "pages", "past memory"])
def test_slots_in_pages_are_read_and_written_as_an_array(spread: int) -> None:
    """Offsets a few pages apart are read and written a span at a time; farther, one by one."""
    chooser = random.Random(spread)
    oracle = array("q", (EMPTY,)) * 700_000
    slots = PagedSlots(array("q", oracle), EMPTY)
    for _ in range(200):
        start = chooser.randrange(len(oracle) - spread)
        offsets = chooser.sample(range(start, start + spread), 300)
        values = [chooser.randrange(-(1 << 62), 1 << 62) for _ in offsets]
        assert take(slots, offsets) == [oracle[at] for at in offsets]
        empty = sum(oracle[at] == EMPTY for at in offsets)
        assert put(slots, offsets, values, EMPTY) == empty
        for at, value in zip(offsets, values, strict=True):
            oracle[at] = value
    assert array("q", slots) == oracle


def test_pairs_not_of_two_are_refused_as_a_dictionary_refuses_them() -> None:
    cases: list[list[Any]] = [[(1, 2, 3)], ["abc"], [(1,)]]
    for given in cases:
        oracle: dict[Any, Any] = {}
        with pytest.raises(ValueError, match="2"):
            oracle.update(given)
        with pytest.raises(ValueError, match="2"):
            KeyPairs().update(given)
    taken: list[Any] = ["ab", iter((3, 4))]
    assert dict(KeyPairs(taken).items()) == {"a": "b", 3: 4}
