"""A column of JSON values is held to ``MAX_DEPTH`` as a whole."""

from __future__ import annotations

from typing import Any

import pytest

from django_graft.archive.limits import nests_within


def _depth(value: Any) -> int:
    """The oracle: how many lists and objects deep a value nests."""
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


COLUMNS = [
    [],
    [None, 1, "text", 2.5, True],
    [{}, []],
    [{"see_also": [1, 2, 3], "decided_by": 7}, None, {"a": {"b": {"c": []}}}],
    [_nested(3), _nested(4), _nested(5)],
    [[[[]]], {"x": [{"y": [[1]]}]}],
    [_nested(2)] * 50 + [_nested(6)],
]


@pytest.mark.parametrize("column", COLUMNS)
@pytest.mark.parametrize("limit", [0, 1, 2, 3, 4, 5, 6, 7])
def test_a_column_nests_within_the_limit_exactly_when_each_value_does(
    column: list[Any], limit: int
) -> None:
    assert nests_within(column, limit) == all(_depth(value) <= limit for value in column)


def test_a_deep_value_among_shallow_ones_fails_its_column() -> None:
    column = [{"a": 1}] * 1_000 + [_nested(65)] + [[1, 2]] * 1_000
    assert not nests_within(column, 64)
    assert nests_within(column[:1_000] + column[1_001:], 1)
