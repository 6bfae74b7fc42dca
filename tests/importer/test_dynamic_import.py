"""An import maps the keys of the dynamic edges its archive declares, or refuses by name."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from django_graft import ImportRefused, Policy, export, import_archive
from django_graft.exceptions import ArchiveFormatError
from tests.boards_oracle import check_image
from tests.importer.tables import rewrite
from tests.snapshots import every_table
from tests.testapp import boards as b

pytestmark = pytest.mark.django_db(databases=["default", "other"])

POLICY = Policy(dynamic_edges=b.BOARD_EDGES)


def _archive(board: b.Board, policy: Policy = POLICY) -> bytes:
    buffer = io.BytesIO()
    export(board, buffer, policy=policy)
    return buffer.getvalue()


def _products_elsewhere() -> None:
    """The products the boards need, at other keys in the other database."""
    for _ in range(5):
        b.Product.objects.using("other").create(name=f"filler-{_}")
    for product in b.Product.objects.order_by("-pk"):
        b.Product.objects.using("other").create(name=product.name)


def test_the_header_records_the_declarations() -> None:
    header = json.loads(_archive(b.make_board("header")).split(b"\n", 1)[0])
    declared = header["dynamic_edges"]
    assert {"field": "testapp.board.settings", "path": "$.sketches[*]",
            "to": "testapp.sketch", "rule": "own"} in declared  # fmt: skip
    assert {"field": "testapp.pin.object_pk", "to_type": "content_type",
            "rule": "need"} in declared  # fmt: skip


def test_remap_into_another_database_points_every_key_at_its_row_there() -> None:
    board = b.make_board("remap")
    _products_elsewhere()
    result = import_archive(io.BytesIO(_archive(board)), using="other", pks="remap", policy=POLICY)
    maps = {label: dict(keys) for label, keys in result.key_map.items()}
    image = b.Board.objects.using("other").get(pk=maps["testapp.board"][board.pk])
    # The products were matched by natural key, at other keys: the JSON follows.
    assert any(old != new for old, new in maps["testapp.product"].items())
    check_image(board, image, maps, "other")


def test_keep_into_another_database_writes_the_values_as_they_are() -> None:
    board = b.make_board("keep")
    result = import_archive(io.BytesIO(_archive(board)), using="other", policy=POLICY)
    maps = {label: dict(keys) for label, keys in result.key_map.items()}
    check_image(board, board, maps, "other")
    assert b.Board.objects.using("other").get(pk=board.pk).settings == board.settings


def test_an_import_whose_policy_lacks_the_declarations_is_refused_with_nothing_written() -> None:
    data = _archive(b.make_board("undeclared"))
    before = every_table("other")
    with pytest.raises(ImportRefused, match=r"testapp.board.settings.*--policy"):
        import_archive(io.BytesIO(data), using="other", pks="remap")
    assert every_table("other") == before


def _tampered(data: bytes, edit: dict[str, object]) -> bytes:
    """The archive with the board's settings changed (and sealed again)."""

    def change(header: dict[str, Any], items: list[dict[str, Any]]) -> tuple[Any, Any]:
        for item in items:
            if item.get("model") == "testapp.board":
                item["fields"]["settings"] = {**item["fields"]["settings"], **edit}
        return header, items

    return rewrite(data, change)


@pytest.mark.parametrize(
    ("edit", "message"),
    [({"default_card": 123_456}, "points at testapp.card 123456, which the archive does not carry"),
     ({"default_card": "abc"}, "holds 'abc', which is not a key of testapp.card"),
     ({"sketches": [7]}, r"holds 7, which is not a key of testapp.sketch .*\(its keys are str")],
)  # fmt: skip
@pytest.mark.parametrize("dry_run", [False, True])
def test_a_damaged_key_is_refused_by_row_and_place(
    edit: dict[str, object], message: str, dry_run: bool
) -> None:
    board = b.make_board("damaged")
    data = _tampered(_archive(board), edit)
    before = every_table("other")
    with pytest.raises(
        ArchiveFormatError, match=rf"testapp.board {board.pk}: settings \$.*{message}"
    ):
        import_archive(io.BytesIO(data), using="other", pks="remap", policy=POLICY, dry_run=dry_run)
    assert every_table("other") == before


def test_a_sync_follows_what_the_source_changed_in_its_json() -> None:
    board = b.make_board("sync")
    _products_elsewhere()
    first = import_archive(
        io.BytesIO(_archive(board)), using="other", pks="remap", sync=True, policy=POLICY
    )
    image = b.Board.objects.using("other").get(pk=first.key_map["testapp.board"][board.pk])
    check_image(board, image, first.key_map, "other")
    # The source adds a card that becomes the default, drops a sketch, relinks a card.
    cards = list(board.cards.order_by("pk"))
    new = b.Card.objects.create(board=board, title="new", data={"related": [cards[0].pk]})
    dropped = board.settings["sketches"][0]
    b.Sketch.objects.filter(pk=dropped).delete()
    board.settings = {
        **board.settings,
        "default_card": new.pk,
        "sketches": board.settings["sketches"][1:],
    }
    board.save()
    cards[2].data = {"related": [new.pk]}
    cards[2].save()
    second = import_archive(
        io.BytesIO(_archive(board)),
        using="other",
        pks="remap",
        sync=True,
        prune=True,
        policy=POLICY,
    )
    assert second.models["testapp.card"].created == 1
    assert second.models["testapp.sketch"].pruned == 1
    maps = {
        label: {**first.key_map.get(label, {}), **keys} for label, keys in second.key_map.items()
    }
    check_image(board, image, maps, "other")
    # The same archive again writes nothing.
    before = every_table("other")
    third = import_archive(
        io.BytesIO(_archive(board)), using="other", pks="remap", sync=True, policy=POLICY
    )
    assert third.created == 0 and sum(r.updated for r in third.models.values()) == 0
    assert every_table("other") == before


def test_a_second_keep_import_finds_every_row_unchanged_though_its_keys_were_mapped() -> None:
    board = b.make_board("again")
    _products_elsewhere()  # the products' keys differ there: the JSON holds the mapped ones
    data = _archive(board)
    import_archive(io.BytesIO(data), using="other", policy=POLICY)
    before = every_table("other")
    again = import_archive(io.BytesIO(data), using="other", policy=POLICY)
    assert again.created == 0 and not again.conflicts
    assert again.models["testapp.card"].unchanged == 3
    assert again.models["testapp.board"].unchanged == 1
    assert every_table("other") == before


def test_a_sync_points_the_keys_at_a_row_it_created_again() -> None:
    board = b.make_board("recreated")
    data = _archive(board)
    first = import_archive(io.BytesIO(data), using="other", pks="remap", sync=True, policy=POLICY)
    gone = first.key_map["testapp.card"][board.settings["default_card"]]
    b.Card.objects.using("other").filter(pk=gone).delete()  # deleted there: no constraint says no
    second = import_archive(
        io.BytesIO(data), using="other", pks="remap", sync=True, policy=POLICY, on_conflict="update"
    )
    maps = {label: {**first.key_map.get(label, {}), **k} for label, k in second.key_map.items()}
    assert maps["testapp.card"][board.settings["default_card"]] != gone
    image = b.Board.objects.using("other").get(pk=maps["testapp.board"][board.pk])
    check_image(board, image, maps, "other")
    before = every_table("other")
    import_archive(io.BytesIO(data), using="other", pks="remap", sync=True, policy=POLICY)
    assert every_table("other") == before


@pytest.mark.parametrize("digits", ["\\u0661", " 1 ", "1\\n"])
def test_only_ascii_digits_spell_an_integer_key(digits: str) -> None:
    board = b.make_board("digits")
    data = _tampered(_archive(board), {"default_card": json.loads(f'"{digits}"')})
    before = every_table("other")
    with pytest.raises(ArchiveFormatError, match=r"settings \$.default_card holds"):
        import_archive(io.BytesIO(data), using="other", pks="remap", policy=POLICY)
    assert every_table("other") == before
