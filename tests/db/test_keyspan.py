"""The span of keys worth counting: integers that fill at least half of it."""

from __future__ import annotations

import pytest

from django_graft.db.keyspan import spanned, within_64_bits


@pytest.mark.parametrize(
    ("keys", "span"),
    [
        ([3, 1, 2], (1, 3)),
        ([5], (5, 5)),
        ([1, 3], (1, 3)),  # 2 keys, 3 wide: counted
        ([1, 4], (1, 4)),  # 4 wide: at the limit
        ([7, 7, 8], (7, 8)),  # a key twice
    ],
)
def test_keys_that_fill_their_span_are_counted(keys: list[int], span: tuple[int, int]) -> None:
    assert spanned(keys) == span


@pytest.mark.parametrize(
    "keys",
    [[], [1, 5], [1, 10_000], ["1", "2"], [1.0, 2.0], [True, 2], [None, 1], [2**63, 2**63]],
    ids=["none", "spread", "far", "text", "float", "bool", "null", "past 64 bits"],
)
def test_other_keys_are_left_to_be_looked_up(keys: list[object]) -> None:
    assert spanned(keys) is None


@pytest.mark.parametrize(
    ("keys", "fits"),
    [
        ([], True),
        ([-(2**63), 2**63 - 1], True),
        ([2**63], False),
        ([-(2**63) - 1, 5], False),
    ],
)
def test_keys_fit_64_bits_or_name_no_row(keys: list[int], fits: bool) -> None:
    assert within_64_bits(keys) is fits
