"""Batches and the order keys are listed in."""

from __future__ import annotations

import decimal
import uuid

from django_graft.db.batching import chunked, key_order, sorted_keys


def test_keys_sort_as_numbers_where_they_are_numbers() -> None:
    assert sorted([10, 9, 100, 2], key=key_order) == [2, 9, 10, 100]
    assert sorted([(1, 10), (1, 9), (0, 11)], key=key_order) == [(0, 11), (1, 9), (1, 10)]
    mixed = [decimal.Decimal("1.5"), "b", 3, "a", 2.0]
    assert sorted(mixed, key=key_order) == [decimal.Decimal("1.5"), 2.0, 3, "a", "b"]


def test_keys_that_do_not_compare_still_sort() -> None:
    first, second = sorted([uuid.UUID(int=2), uuid.UUID(int=1)], key=str)
    assert sorted_keys([second, 10, first, 9]) == [9, 10, first, second]


def test_chunks_keep_the_order() -> None:
    assert list(chunked(range(5), 2)) == [[0, 1], [2, 3], [4]]
    assert list(chunked([1, 2, 3], 3)) == [[1, 2, 3]]
