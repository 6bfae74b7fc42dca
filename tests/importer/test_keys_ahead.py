"""Rows linking to rows written later are written once, where the database draws keys ahead."""

from __future__ import annotations

import io

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from django_graft import Policy, clone, export, import_archive
from tests.boards_oracle import check_image
from tests.testapp import boards as b

pytestmark = pytest.mark.django_db(databases=["default", "other"])

POLICY = Policy(dynamic_edges=b.BOARD_EDGES)


def _draws_ahead(using: str) -> bool:
    return connections[using].vendor in ("sqlite", "postgresql")


def _updated_tables(queries: list[dict[str, str]]) -> set[str]:
    """The tables of this app an UPDATE statement wrote to."""
    words = [q["sql"].split()[:2] for q in queries]
    return {
        table.strip('"`').removeprefix("testapp_")
        for verb, table in words
        if verb.upper() == "UPDATE" and table.strip('"`').startswith("testapp_")
    }


def test_an_import_writes_cycles_and_keys_in_json_once_with_drawn_keys() -> None:
    board = b.make_board("ahead")
    buffer = io.BytesIO()
    export(board, buffer, policy=POLICY)
    # Keys the target made already: the drawn ones must come after them.
    b.Card.objects.using("other").create(board=b.Board.objects.using("other").create(name="x"))
    with CaptureQueriesContext(connections["other"]) as ctx:
        result = import_archive(
            io.BytesIO(buffer.getvalue()), using="other", pks="remap", policy=POLICY
        )
    maps = {label: dict(keys) for label, keys in result.key_map.items()}
    image = b.Board.objects.using("other").get(pk=maps["testapp.board"][board.pk])
    check_image(board, image, maps, "other")
    updated = _updated_tables(ctx.captured_queries)
    if _draws_ahead("other"):
        # The board names a card, a tile and sketches written after it; cards
        # name each other: every row went in once, with its links.
        assert updated == set()
    else:
        assert "board" in updated  # filled in once the cards are in
    # In the database's own order: the archive's first card got the first key.
    cards = sorted(maps["testapp.card"].items())
    assert [new for _, new in cards] == sorted(new for _, new in cards)
    # The database goes on from the drawn keys: a new row takes a fresh one.
    fresh = b.Card.objects.using("other").create(board=image)
    assert fresh.pk > max(maps["testapp.card"].values())


def test_a_clone_of_a_board_writes_each_copy_once() -> None:
    board = b.make_board("clone ahead")
    with CaptureQueriesContext(connections["default"]) as ctx:
        result = clone(board, policy=POLICY)
    copy = b.Board.objects.get(pk=result.copies["testapp.board"][board.pk])
    check_image(board, copy, result.copies, "default")
    if _draws_ahead("default"):
        assert _updated_tables(ctx.captured_queries) == set()


def test_keys_drawn_by_an_import_that_fails_are_given_back_on_sqlite() -> None:
    if connections["other"].vendor != "sqlite":
        pytest.skip("PostgreSQL's sequences, like its own inserts, never give keys back")
    board = b.make_board("rolled back")
    buffer = io.BytesIO()
    export(board, buffer, policy=POLICY)
    before = b.Card.objects.using("other").create(board=b.Board.objects.using("other").create())

    def refuse() -> None:
        raise RuntimeError("refused after the writes")

    policy = Policy(dynamic_edges=b.BOARD_EDGES, hooks={"testapp.Board": {"pre_commit": refuse}})
    with pytest.raises(RuntimeError):
        import_archive(io.BytesIO(buffer.getvalue()), using="other", pks="remap", policy=policy)
    after = b.Card.objects.using("other").create(board=before.board)
    assert after.pk == before.pk + 1
