"""The zoo's dynamic edges: keys the schema does not see, in JSON and plain columns.

A Board owns Cards, Tiles (a multi-table parent of PhotoTiles), Widgets and
Pins through foreign keys; its ``settings`` JSON names a default Card, a
cover PhotoTile and Sketches, which nothing else reaches (the policy owns
them through that JSON). A Card's ``data`` names related Cards (a cycle, a
self reference) and Products, which live outside every board. A Tile's
``refs`` is a JSON list of Cards, a PhotoTile's ``extra`` names the next
Tile (a dynamic edge declared on a child's own field). A Widget names its
target by a model label and a text key; a Pin by a content type and an
integer, without a GenericForeignKey. :data:`BOARD_EDGES` declares them all.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models


class ProductManager(models.Manager["Product"]):
    def get_by_natural_key(self, name: str) -> Product:
        return self.get(name=name)


class Product(models.Model):
    name = models.CharField(max_length=50, unique=True)

    objects = ProductManager()

    def natural_key(self) -> tuple[str]:
        return (self.name,)


class Board(models.Model):
    name = models.CharField(max_length=50)
    settings = models.JSONField(default=dict)


class Card(models.Model):
    board = models.ForeignKey(Board, models.CASCADE, related_name="cards")
    title = models.CharField(max_length=50)
    data = models.JSONField(null=True)


class Sketch(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    strokes = models.IntegerField(default=0)


class Tile(models.Model):
    board = models.ForeignKey(Board, models.CASCADE, related_name="tiles")
    refs = models.JSONField(default=list)


class PhotoTile(Tile):
    caption = models.CharField(max_length=50, default="")
    extra = models.JSONField(default=dict)


class Widget(models.Model):
    board = models.ForeignKey(Board, models.CASCADE, related_name="widgets")
    target_type = models.CharField(max_length=100, blank=True, default="")
    target_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001


class Pin(models.Model):
    board = models.ForeignKey(Board, models.CASCADE, related_name="pins")
    content_type = models.ForeignKey(ContentType, models.CASCADE, related_name="+")
    object_pk = models.PositiveIntegerField()


BOARD_EDGES: dict[str, Any] = {
    "testapp.Board.settings": [
        {"path": "$.default_card", "to": "testapp.Card"},
        {"path": "$.sketches[*]", "to": "testapp.Sketch", "rule": "own"},
        {"path": "$.cover", "to": "testapp.PhotoTile"},
    ],
    "testapp.Card.data": [
        {"path": "$.related[*]", "to": "testapp.Card"},
        {"path": "$.products[*].id", "to": "testapp.Product"},
    ],
    "testapp.Tile.refs": {"path": "$[*]", "to": "testapp.Card"},
    "testapp.PhotoTile.extra": {"path": "$.next", "to": "testapp.Tile"},
    "testapp.Widget.target_id": {"to_type": "target_type"},
    "testapp.Pin.object_pk": {"to_type": "content_type"},
}


def make_board(name: str, products: list[Product] | None = None) -> Board:
    """A board with every kind of dynamic edge filled in (and products, made if not given)."""
    if products is None:
        products = [Product.objects.create(name=f"{name}-{i}") for i in range(3)]
    board: Board = Board.objects.create(name=name, settings={"theme": "dark", "layout": [1, 2]})
    cards = [
        Card.objects.create(board=board, title=f"{name} card {i}", data={"note": "x"})
        for i in range(3)
    ]
    cards[0].data = {
        "related": [cards[1].pk, cards[2].pk],
        "products": [{"id": products[0].pk, "qty": 2}, {"id": products[1].pk, "qty": 1}],
        "note": "first",
    }
    cards[1].data = {"related": [cards[0].pk, cards[1].pk], "products": []}
    cards[2].data = None
    for card in cards:
        card.save()
    sketches = [Sketch.objects.create(strokes=i) for i in range(2)]
    plain = Tile.objects.create(board=board, refs=[cards[2].pk, cards[0].pk])
    photo = PhotoTile.objects.create(
        board=board, refs=[cards[1].pk], caption="cover", extra={"next": plain.pk, "size": 3}
    )
    board.settings = {
        "theme": "dark",
        "default_card": cards[1].pk,
        "sketches": [str(sketch.pk) for sketch in sketches],
        "cover": photo.pk,
        "layout": [1, 2],
    }
    board.save()
    Widget.objects.create(board=board, target_type="testapp.card", target_id=str(cards[2].pk))
    Widget.objects.create(board=board, target_type="testapp.product", target_id=str(products[2].pk))
    Widget.objects.create(board=board, target_type="", target_id=None)
    Pin.objects.create(
        board=board, content_type=ContentType.objects.get_for_model(Card), object_pk=cards[0].pk
    )
    Pin.objects.create(
        board=board,
        content_type=ContentType.objects.get_for_model(PhotoTile),
        object_pk=photo.pk,
    )
    return board


def make_big_board(name: str, times: int) -> Board:
    """A board holding the cards and tiles of ``times`` more boards (whose JSON names them)."""
    big = make_board(name)
    for i in range(times):
        extra = make_board(f"{name}{i}")
        Card.objects.filter(board=extra).update(board=big)
        Tile.objects.filter(board=extra).update(board=big)
    return big
