"""A dynamic edge is declared once, checked when the policy is built, and refused by label."""

from __future__ import annotations

from typing import Any

import django
import pytest

from django_graft import Policy, PolicyError, Rule
from tests.testapp import boards as b


def test_each_declaration_becomes_an_edge_of_its_model_with_its_rule() -> None:
    policy = Policy(dynamic_edges=b.BOARD_EDGES)
    edges = {edge.name: edge for edge in policy.dynamic_edges(b.Board)}
    assert set(edges) == {
        "settings[$.default_card]",
        "settings[$.sketches[*]]",
        "settings[$.cover]",
    }
    assert policy.rule(edges["settings[$.sketches[*]]"]) is Rule.OWN
    assert policy.rule(edges["settings[$.cover]"]) is Rule.NEED
    assert edges["settings[$.cover]"].target is b.PhotoTile
    assert all(edge in policy.edges_of(b.Board) for edge in edges.values())
    # Two policies declaring the same place share the edge, and extend() keeps it.
    again = Policy(dynamic_edges=b.BOARD_EDGES).extend(set_fields={"testapp.Board.name": "x"})
    assert set(again.dynamic_edges(b.Board)) == set(edges.values())


@pytest.mark.parametrize(
    ("label", "declaration", "message"),
    [
        ("testapp.Board.nothing", {"path": "$.a", "to": "testapp.Card"}, "Unknown field"),
        ("testapp.Board.settings", {"to": "testapp.Card"}, "give the path of its keys"),
        ("testapp.Board.settings", {"path": "a.b", "to": "testapp.Card"}, "starts with '\\$'"),
        ("testapp.Board.settings", {"path": "$..a", "to": "testapp.Card"}, "cannot be read"),
        ("testapp.Board.settings", {"path": "$[?(@.a)]", "to": "testapp.Card"}, "cannot be read"),
        ("testapp.Board.name", {"path": "$.a", "to": "testapp.Card"}, "not a JSON field"),
        ("testapp.Board.settings", {"path": "$.a"}, "needs one of 'to'"),
        ("testapp.Board.settings", {"path": "$.a", "to": "testapp.Card", "to_type": "name"},
         "needs one of 'to'"),
        ("testapp.Board.settings", {"path": "$.a", "to": "testapp.Nothing"}, "Unknown model"),
        ("testapp.Board.settings", {"path": "$.a", "to": "testapp.Card", "rule": "skip"},
         "cannot be 'skip'"),
        ("testapp.Board.settings", {"path": "$.a", "to": "testapp.Card", "other": 1},
         "unknown key 'other'"),
        ("testapp.Board.settings", "testapp.Card", "must be declared by a dict"),
        ("testapp.Card.board", {"to": "testapp.Board"}, "a foreign key is followed already"),
        ("testapp.Card.id", {"to": "testapp.Board"}, "primary key"),
        ("testapp.PhotoTile.refs", {"path": "$[*]", "to": "testapp.Card"},
         "declare it there, as 'testapp.Tile.refs'"),
        ("testapp.Widget.target_id", {"to_type": "board"}, "neither a foreign key to ContentType"),
        ("testapp.Bookmark.object_id", {"to_type": "content_type"},
         "object id of the generic foreign key testapp.bookmark.target"),
    ],
)  # fmt: skip
def test_a_wrong_declaration_is_refused_by_label(
    label: str, declaration: Any, message: str
) -> None:
    with pytest.raises(PolicyError, match=message) as caught:
        Policy(dynamic_edges={label: declaration})
    assert caught.value.label is not None


@pytest.mark.parametrize(
    ("first", "second"),
    [("$.a", "$.a"), ("$.a", "$['a']"), ("$.*", "$.a"), ("$.a[*]", "$['a'][0]"),
     ("$.a[-1]", "$.a[2]")],
)  # fmt: skip
def test_places_declared_twice_are_refused(first: str, second: str) -> None:
    twice = [{"path": first, "to": "testapp.Card"}, {"path": second, "to": "testapp.Tile"}]
    with pytest.raises(PolicyError, match="which find the same places"):
        Policy(dynamic_edges={"testapp.Board.settings": twice})


def test_places_that_cannot_meet_are_two_edges() -> None:
    apart = [{"path": "$.a", "to": "testapp.Card"}, {"path": "$[0]", "to": "testapp.Card"},
             {"path": "$.a.b", "to": "testapp.Card"}, {"path": "$.b[1]", "to": "testapp.Card"},
             {"path": "$.b[2]", "to": "testapp.Card"}]  # fmt: skip
    assert len(Policy(dynamic_edges={"testapp.Board.settings": apart}).dynamic_edges(b.Board)) == 5


@pytest.mark.parametrize("field", ["testapp.Widget.target_id", "testapp.Widget.target_type"])
def test_a_masked_column_cannot_hold_a_dynamic_edge(field: str) -> None:
    with pytest.raises(PolicyError, match="is masked, and holds a dynamic edge"):
        Policy(dynamic_edges=b.BOARD_EDGES, mask={field: lambda value: "hidden"})


@pytest.mark.skipif(django.VERSION < (5, 2), reason="composite primary keys came with Django 5.2")
def test_a_model_with_a_composite_key_cannot_be_a_target() -> None:
    with pytest.raises(PolicyError, match="composite"):
        Policy(dynamic_edges={"testapp.Widget.target_id": {"to": "testapp.TaskTag"}})
