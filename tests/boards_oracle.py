"""The oracle of the dynamic-edge tests: where each key of a board's JSON should point.

Written out model by model from what :mod:`tests.testapp.boards` stores, with
the ORM and plain dictionaries: nothing here reads a policy or a JSON path.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from django.contrib.contenttypes.models import ContentType

from tests.testapp import boards as b

#: {model label: {original key: key of its image}}
KeyMaps = Mapping[str, Mapping[Any, Any]]


def _image(maps: KeyMaps, label: str, key: Any) -> Any:
    return maps.get(label, {}).get(key, key)


def expected_settings(settings: dict[str, Any], maps: KeyMaps) -> dict[str, Any]:
    out = dict(settings)
    if "default_card" in out:
        out["default_card"] = _image(maps, "testapp.card", settings["default_card"])
    if "sketches" in out:
        out["sketches"] = [
            str(_image(maps, "testapp.sketch", uuid.UUID(s))) for s in settings["sketches"]
        ]
    if "cover" in out:
        out["cover"] = _image(maps, "testapp.phototile", settings["cover"])
    return out


def expected_card_data(data: Any, maps: KeyMaps) -> Any:
    if data is None:
        return None
    out = dict(data)
    if "related" in out:
        out["related"] = [_image(maps, "testapp.card", k) for k in data["related"]]
    if "products" in out:
        out["products"] = [
            {**item, "id": _image(maps, "testapp.product", item["id"])} for item in data["products"]
        ]
    return out


def check_image(board: b.Board, image: b.Board, maps: KeyMaps, image_db: str) -> None:
    """``image`` (in ``image_db``) holds ``board``'s rows, every key mapped by ``maps``."""
    board = b.Board.objects.get(pk=board.pk)  # as the database keeps it (jsonb orders members)
    image = b.Board.objects.using(image_db).get(pk=image.pk)
    assert list(image.settings.items()) == list(expected_settings(board.settings, maps).items())
    cards = {c.pk: c for c in b.Card.objects.using(image_db).filter(board=image)}
    for card in b.Card.objects.filter(board=board):
        copy = cards[maps["testapp.card"][card.pk]]
        assert copy.data == expected_card_data(card.data, maps), card.pk
        if card.data is not None:
            assert list(copy.data) == list(card.data)  # members in their order
    tiles = {t.pk: t for t in b.Tile.objects.using(image_db).filter(board=image)}
    for tile in b.Tile.objects.filter(board=board):
        copy_tile = tiles[maps["testapp.tile"][tile.pk]]
        assert copy_tile.refs == [_image(maps, "testapp.card", k) for k in tile.refs]
    photos = {p.pk: p for p in b.PhotoTile.objects.using(image_db).filter(board=image)}
    for photo in b.PhotoTile.objects.filter(board=board):
        copy_photo = photos[maps["testapp.phototile"][photo.pk]]
        expected = {**photo.extra, "next": _image(maps, "testapp.tile", photo.extra["next"])}
        assert list(copy_photo.extra.items()) == list(expected.items())
    widgets = sorted(
        b.Widget.objects.using(image_db).filter(board=image).values_list("target_type", "target_id")
    )
    assert widgets == sorted(
        (kind, None if key is None else str(_image(maps, kind, int(key))) if kind else key)
        for kind, key in b.Widget.objects.filter(board=board).values_list(
            "target_type", "target_id"
        )
    )
    types = ContentType.objects.db_manager(image_db)
    pins = sorted(
        (types.get_for_id(ct).model, key)
        for ct, key in b.Pin.objects.using(image_db)
        .filter(board=image)
        .values_list("content_type", "object_pk")
    )
    assert pins == sorted(
        (ct.model, _image(maps, f"testapp.{ct.model}", key))
        for ct, key in (
            (ContentType.objects.get_for_id(ct_id), key)
            for ct_id, key in b.Pin.objects.filter(board=board).values_list(
                "content_type", "object_pk"
            )
        )
    )
