"""JSON paths find the places they name, and a rewrite changes those places only."""

from __future__ import annotations

from typing import Any

import pytest

from django_graft.schema.jsonpath import JsonPath, PathSyntaxError

VALUE: dict[str, Any] = {
    "ids": [1, 2, 3],
    "nested": {"default": 7, "other key": 8},
    "blocks": [{"image": 4, "x": 0}, {"text": "t"}, {"image": None}],
    "map": {"a": 5, "b": 6},
}


@pytest.mark.parametrize(
    ("path", "found"),
    [
        ("$", [VALUE]),
        ("$.ids[*]", [1, 2, 3]),
        ("$.ids[0]", [1]),
        ("$.ids[-1]", [3]),
        ("$.ids[5]", []),
        ("$.nested.default", [7]),
        ("$['nested']['other key']", [8]),
        ('$["nested"].default', [7]),
        ("$.blocks[*].image", [4, None]),
        ("$.map.*", [5, 6]),
        ("$.map[*]", [5, 6]),
        ("$.missing.default", []),
        ("$.ids.default", []),
        ("$.nested[0]", []),
    ],
)
def test_a_path_finds_the_values_at_its_places(path: str, found: list[Any]) -> None:
    assert list(JsonPath.parse(path).find(VALUE)) == found


@pytest.mark.parametrize("path", ["", "ids", "$.", "$..ids", "$.ids[1:2]", "$[?(@.a)]", "$.a b"])
def test_anything_else_is_refused_with_where_it_stops(path: str) -> None:
    with pytest.raises(PathSyntaxError):
        JsonPath.parse(path)


def test_a_rewrite_changes_its_places_and_shares_every_other_part() -> None:
    path = JsonPath.parse("$.blocks[*].image")
    new = path.rewrite(VALUE, lambda v: v if v is None else v * 10)
    assert new["blocks"] == [{"image": 40, "x": 0}, {"text": "t"}, {"image": None}]
    assert VALUE["blocks"][0]["image"] == 4  # the original is not changed
    assert new["ids"] is VALUE["ids"] and new["nested"] is VALUE["nested"]
    assert new["blocks"][1] is VALUE["blocks"][1]
    assert list(new) == list(VALUE)  # members keep their order


def test_a_rewrite_that_changes_nothing_returns_the_same_value() -> None:
    assert JsonPath.parse("$.ids[*]").rewrite(VALUE, lambda v: v) is VALUE
