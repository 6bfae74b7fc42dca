"""KeyBits against Python's own set, the oracle, under random and hostile keys."""

from __future__ import annotations

import copy
import random
from decimal import Decimal
from fractions import Fraction

import pytest
from django.test import override_settings

from django_graft.importer.keybits import KeyBits, key_set


def _same(bits: KeyBits, oracle: set[int]) -> None:
    assert len(bits) == len(oracle)
    assert set(bits) == oracle
    assert bits == KeyBits(oracle)


@pytest.mark.parametrize("seed", range(20))
def test_random_adds_and_discards_agree_with_a_set(seed: int) -> None:
    rng = random.Random(seed)
    span = rng.choice([10, 1_000, 100_000, 10**12])
    base = rng.choice([0, -(10**6), 2**40, 2**62])
    bits, oracle = KeyBits(), set()
    for _ in range(3_000):
        key = base + rng.randrange(span)
        if rng.random() < 0.7:
            bits.add(key)
            oracle.add(key)
        else:
            bits.discard(key)
            oracle.discard(key)
        assert (key in bits) == (key in oracle)
    _same(bits, oracle)
    probe = [base + rng.randrange(-span, 2 * span) for _ in range(500)]
    assert [k in bits for k in probe] == [k in oracle for k in probe]


def test_dense_keys_stay_bits_and_iterate_in_order() -> None:
    keys = list(range(500_000, 0, -3))  # descending: the bitmap grows at its low end
    bits = KeyBits(keys)
    assert bits._set is None
    assert len(bits._bits) < 200_000  # a bit a value, not a set's 60 bytes a key
    assert list(bits) == sorted(keys)


def test_a_sparse_span_becomes_a_set_and_keeps_every_key() -> None:
    bits = KeyBits([1, 2, 2**62, -(2**62)])
    assert bits._set is not None
    _same(bits, {1, 2, 2**62, -(2**62)})


def test_values_that_are_no_integers() -> None:
    bits = KeyBits([1, 2, 3])
    assert "1" not in bits and None not in bits and 1.5 not in bits
    assert True in bits  # as in a set of integers: True == 1
    bits.discard("2")
    assert len(bits) == 3
    bits.add("x")  # not an integer: kept, as a set would
    _same(bits, {1, 2, 3, "x"})  # type: ignore[arg-type]


def test_set_operations_return_python_sets() -> None:
    bits = KeyBits(range(10))
    assert bits & {3, 4, 99} == {3, 4}
    assert {3, 4, 99} & bits == {3, 4}
    assert {3, 99} - bits == {99}
    assert bits - set(range(1, 10)) == {0}
    assert bits.intersection([5, 50]) == {5}
    assert bits.issubset(range(20)) and not bits.issubset(range(5))
    assert bits.isdisjoint({-1, 10}) and not bits.isdisjoint({9})


def test_copy_is_independent_and_clear_empties() -> None:
    bits = KeyBits(range(100))
    copied = bits.copy()
    copied.difference_update(range(50))
    bits.update([1000], [1001])
    assert len(copied) == 50 and len(bits) == 102
    bits.clear()
    assert not bits and list(bits) == []
    bits.add(-5)
    assert list(bits) == [-5]


def test_bits_only_for_many_integer_keys() -> None:
    with override_settings(GRAFT={"SERVER_SIDE_KEYS": 100}):
        assert isinstance(key_set(True, 101), KeyBits)
        assert type(key_set(True, 100)) is set
        assert type(key_set(False, 10**6)) is set
    with override_settings(GRAFT={"SERVER_SIDE_KEYS": None}):
        assert type(key_set(True, 10**6)) is set


@pytest.mark.parametrize("seed", range(30))
def test_bulk_operations_agree_with_a_set(seed: int) -> None:
    rng = random.Random(seed)

    def some_keys() -> list[int]:
        base = rng.choice([0, -5_000, 10**9, 2**62])
        span = rng.choice([50, 20_000, 10**8])
        return [base + rng.randrange(span) for _ in range(rng.randrange(0, 25_000))]

    bits, oracle = KeyBits(), set()
    for _ in range(6):
        keys = some_keys()
        what = rng.choice(["update", "generator", "bits", "difference", "difference bits"])
        if what == "update":
            bits.update(keys)
            oracle.update(keys)
        elif what == "generator":
            bits.update(k for k in keys)
            oracle.update(keys)
        elif what == "bits":
            bits.update(KeyBits(keys))
            oracle.update(keys)
        elif what == "difference":
            gone = [*keys, *rng.sample(sorted(oracle), min(len(oracle), 300))]
            bits.difference_update(gone)
            oracle.difference_update(gone)
        else:
            gone = [*keys, *rng.sample(sorted(oracle), min(len(oracle), 300))]
            bits.difference_update(KeyBits(gone))
            oracle.difference_update(gone)
        _same(bits, oracle)
    some = KeyBits(rng.sample(sorted(oracle), len(oracle) // 2)) if oracle else KeyBits()
    assert some.issubset(bits) and some.issubset(oracle)
    extra = KeyBits([*some, max(oracle, default=0) + 1])
    assert not extra.issubset(bits) and not extra.issubset(oracle)


def test_a_float_equal_to_a_key_is_that_key() -> None:
    assert 2.0 in KeyBits([2]) and 2.5 not in KeyBits([2])


def test_numbers_equal_to_a_key_are_found_and_discarded_as_in_a_set() -> None:
    near = 2**60 + 4_000
    keys = [*range(10), *range(2**60, 2**60 + 5_000)]
    bits, oracle = KeyBits(keys), set(keys)
    for asked in (3.0, Decimal(4), Fraction(10, 2), float(near), float("nan"), float("inf")):
        assert (asked in bits) == (asked in oracle), asked
    for gone in (3.0, Decimal(4), float(near)):
        bits.discard(gone)
        oracle.discard(gone)
    bits.difference_update([Decimal(5), 6.0])
    oracle.difference_update([Decimal(5), 6.0])
    _same(bits, oracle)


def test_copy_copy_is_independent() -> None:
    bits = KeyBits(range(10))
    copied = copy.copy(bits)
    copied.discard(3)
    assert 3 in bits and len(bits) == 10 and 3 not in copied


def test_subset_of_bitmaps_far_apart() -> None:
    far = KeyBits([2**40])
    assert not KeyBits([5]).issubset(far) and not far.issubset(KeyBits([5]))
    assert KeyBits().issubset(far) and KeyBits([2**40]).issubset(far)
    wide = KeyBits(range(64))
    assert KeyBits(range(8, 16)).issubset(wide) and not wide.issubset(KeyBits(range(8, 16)))
