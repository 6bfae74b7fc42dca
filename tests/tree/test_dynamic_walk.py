"""The walk follows the dynamic edges a policy declares, at no query of their own."""

from __future__ import annotations

import pytest

from django_graft import DynamicEdgeError, Policy, collect
from tests.queries import count_queries
from tests.testapp import boards as b

pytestmark = pytest.mark.django_db

POLICY = Policy(dynamic_edges=b.BOARD_EDGES)


def test_owned_and_needed_rows_come_through_json_and_plain_columns() -> None:
    board = b.make_board("walk")
    other = b.make_board("other")
    graph = collect(board, policy=POLICY)
    sketches = set(board.settings["sketches"])
    assert {str(k) for k in graph.owned[b.Sketch]} == sketches
    products = set(b.Product.objects.filter(name__startswith="walk-").values_list("pk", flat=True))
    assert graph.needed[b.Product] == products
    assert graph.owned[b.Card] == set(board.cards.values_list("pk", flat=True))
    # Nothing of the other board: its rows are reached by no edge.
    assert not graph.owned[b.Card] & set(other.cards.values_list("pk", flat=True))
    assert not {str(k) for k in graph.owned[b.Sketch]} & set(other.settings["sketches"])


def test_without_the_declarations_json_keys_are_not_followed() -> None:
    board = b.make_board("plain")
    graph = collect(board)
    assert b.Sketch not in graph.owned
    assert b.Product not in graph.needed


def test_following_dynamic_edges_costs_no_query_that_grows_with_the_rows() -> None:
    small = b.make_board("small")
    big = b.make_big_board("big", 30)
    few = count_queries(lambda: collect(small, policy=POLICY))
    many = count_queries(lambda: collect(big, policy=POLICY))
    assert b.Card.objects.filter(board=big).count() == 31 * 3
    assert many == few


@pytest.mark.parametrize(
    ("value", "why"),
    [("abc", "its keys are integers"), (True, "its keys are integers"),
     (1.5, "its keys are integers"), ({"id": 1}, "its keys are integers")],
)  # fmt: skip
def test_a_value_that_is_not_a_key_names_the_row_and_the_path(value: object, why: str) -> None:
    board = b.make_board("bad")
    board.settings = {**board.settings, "default_card": value}
    board.save()
    with pytest.raises(DynamicEdgeError) as caught:
        collect(board, policy=POLICY)
    message = str(caught.value)
    assert f"testapp.board {board.pk}" in message
    assert "settings $.default_card" in message
    assert f"{value!r}, which is not a key of testapp.card" in message
    assert why in message
    assert caught.value.place == "settings $.default_card"


def test_a_label_naming_no_model_names_the_row_and_column() -> None:
    board = b.make_board("label")
    widget = board.widgets.exclude(target_type="").first()
    assert widget is not None
    b.Widget.objects.filter(pk=widget.pk).update(target_type="nowhere.model")
    with pytest.raises(DynamicEdgeError, match=rf"testapp.widget {widget.pk}: target_type holds"):
        collect(board, policy=POLICY)


def test_a_key_naming_no_row_is_a_warning_and_left_out() -> None:
    board = b.make_board("dangling")
    board.settings = {**board.settings, "default_card": 999_999}
    board.save()
    graph = collect(board, policy=POLICY)
    assert any("testapp.card 999999" in w for w in graph.warnings)
    assert 999_999 not in graph.owned.get(b.Card, set()) | graph.needed.get(b.Card, set())


def test_the_reason_and_the_edge_rows_name_the_dynamic_edge() -> None:
    board = b.make_board("why")
    graph = collect(board, policy=POLICY)
    edge = graph.reasons[b.Sketch].edge
    assert edge is not None
    assert edge.label == "testapp.board.settings[$.sketches[*]]"
    labels = {edge.label for edge, _ in graph.edge_rows}
    assert "testapp.card.data[$.products[*].id]" in labels
    assert "testapp.widget.target_id" in labels
