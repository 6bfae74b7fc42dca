"""A clone follows the policy's dynamic edges: keys in JSON and plain columns name the copies."""

from __future__ import annotations

import pytest

from django_graft import CrossLinkError, DynamicEdgeError, Policy, clone
from tests.boards_oracle import check_image
from tests.queries import count_queries
from tests.snapshots import every_table
from tests.testapp import boards as b

pytestmark = pytest.mark.django_db

POLICY = Policy(dynamic_edges=b.BOARD_EDGES)


def test_every_internal_key_names_a_copy_and_every_outside_key_stays() -> None:
    board = b.make_board("clone")
    products_before = set(b.Product.objects.values_list("pk", flat=True))
    result = clone(board, policy=POLICY)
    copy = b.Board.objects.get(pk=result.roots[0].pk)
    assert copy.pk != board.pk
    # The sketches, reached through JSON only, are copied; the products are not.
    assert len(result.copies["testapp.sketch"]) == 2
    assert set(b.Product.objects.values_list("pk", flat=True)) == products_before
    check_image(board, copy, result.copies, "default")
    # The original is as it was.
    board.refresh_from_db()
    assert board.settings["default_card"] in set(board.cards.values_list("pk", flat=True))


def test_without_the_declarations_json_is_copied_as_it_is() -> None:
    board = b.make_board("verbatim")
    result = clone(board)
    copy = b.Board.objects.get(pk=result.roots[0].pk)
    assert copy.settings == board.settings
    assert "testapp.sketch" not in result.copies


def test_a_clone_with_dynamic_edges_sends_as_many_queries_for_a_bigger_board() -> None:
    small = b.make_board("small")
    big = b.make_big_board("big", 20)
    few = count_queries(lambda: clone(small, policy=POLICY))
    many = count_queries(lambda: clone(big, policy=POLICY))
    assert many == few


def test_a_key_that_is_not_a_key_refuses_the_clone_and_writes_nothing() -> None:
    board = b.make_board("bad")
    card = board.cards.first()
    assert card is not None
    b.Card.objects.filter(pk=card.pk).update(data={"related": ["x"]})
    before = every_table()
    with pytest.raises(DynamicEdgeError, match=rf"testapp.card {card.pk}: data \$.related\[\*\]"):
        clone(board, policy=POLICY)
    assert every_table() == before


def test_a_key_naming_no_row_stays_as_it_is_and_the_copy_is_made() -> None:
    board = b.make_board("dangling")
    board.settings = {**board.settings, "default_card": 987_654}
    board.save()
    result = clone(board, policy=POLICY)
    copy = b.Board.objects.get(pk=result.roots[0].pk)
    assert copy.settings["default_card"] == 987_654


def test_a_set_value_pointing_at_an_original_is_a_cross_link() -> None:
    board = b.make_board("cross")
    first = board.cards.order_by("pk").first()
    assert first is not None
    policy = Policy(
        dynamic_edges=b.BOARD_EDGES,
        set_fields={"testapp.Board.settings": {"default_card": first.pk}},
    )
    before = every_table()
    with pytest.raises(
        CrossLinkError,
        match=rf"\(settings\[\$.default_card\]\) points at the original testapp.card {first.pk}",
    ):
        clone(board, policy=policy)
    assert every_table() == before


def test_a_value_given_to_clone_itself_pointing_at_an_original_is_a_cross_link() -> None:
    board = b.make_board("given")
    first = board.cards.order_by("pk").first()
    assert first is not None
    before = every_table()
    with pytest.raises(CrossLinkError, match=rf"points at the original testapp.card {first.pk}"):
        clone(
            board,
            policy=POLICY,
            set_fields={"testapp.Board.settings": {"default_card": first.pk}},
        )
    assert every_table() == before


def test_a_model_set_on_the_copies_is_checked_with_the_keys_beside_it() -> None:
    board = b.make_board("retyped")
    card = board.cards.order_by("pk").first()
    assert card is not None
    # A product at the key of an original card, which a widget names as a product.
    if not b.Product.objects.filter(pk=card.pk).exists():
        b.Product.objects.create(pk=card.pk, name="same key as a card")
    board.widgets.filter(target_type="testapp.product").update(target_id=str(card.pk))
    policy = Policy(
        dynamic_edges=b.BOARD_EDGES, set_fields={"testapp.Widget.target_type": "testapp.card"}
    )
    before = every_table()
    with pytest.raises(CrossLinkError, match=r"target_id\) points at the original testapp.card"):
        clone(board, policy=policy)
    assert every_table() == before


def test_an_integer_no_database_stores_is_not_a_key() -> None:
    board = b.make_board("huge")
    board.settings = {**board.settings, "default_card": 2**63}
    board.save()
    before = every_table()
    with pytest.raises(
        DynamicEdgeError, match=r"settings \$.default_card holds 9223372036854775808"
    ):
        clone(board, policy=POLICY)
    assert every_table() == before


def test_a_delete_takes_the_rows_a_dynamic_edge_owns_and_no_other() -> None:
    from django_graft import delete

    board = b.make_board("deleted")
    other = b.make_board("kept")
    owned = set(board.settings["sketches"])
    products = set(b.Product.objects.values_list("pk", flat=True))
    result = delete(board, policy=POLICY)
    assert result.deleted["testapp.sketch"] == 2
    remaining = {str(pk) for pk in b.Sketch.objects.values_list("pk", flat=True)}
    assert not owned & remaining
    assert set(other.settings["sketches"]) <= remaining
    assert set(b.Product.objects.values_list("pk", flat=True)) == products  # needed: kept
