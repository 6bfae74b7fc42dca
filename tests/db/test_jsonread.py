"""JSON columns read through orjson hold exactly what Django's own reading gives."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from django.db import connection

from django_graft.db.fetch import fetch_rows
from django_graft.db.jsonread import json_converter
from tests.testapp import boards as b

pytestmark = pytest.mark.django_db

VALUES: list[Any] = [
    {"related": [1, 2], "note": "x", "nested": {"a": [None, True, False, 1.5, -0.0]}},
    [2**63 - 1, -(2**63), 2**64 - 1, 2**64, 10**30, -(10**25)],
    {"big": 123456789012345678901234567890, "text": "1234567890123456789012"},
    {"float": 0.1, "tiny": 5e-324, "exp": 1e300, "neg": -1.7976931348623157e308},
    {"unicode": "zażółć 🌍", "escape": 'tab\t"quote" \\ back'},
    {"dup": 1},
    "a string",
    42,
    None,
]


def _card(data: Any) -> b.Card:
    card: b.Card = b.Card.objects.create(
        board=b.Board.objects.create(name="json"), title="t", data=data
    )
    return card


def test_values_read_as_django_reads_them() -> None:
    cards = [_card(value) for value in VALUES]
    keys = [card.pk for card in cards]
    queryset = b.Card.objects.filter(pk__in=keys).order_by("pk").values_list("pk", "data")
    ours: list[tuple[Any, ...]] = [row for chunk in fetch_rows(queryset, 100) for row in chunk]
    theirs = list(queryset)
    assert ours == theirs
    # Integers past 64 bits stay integers, as Django reads them.
    read: dict[Any, Any] = dict(ours)
    assert all(type(value) is int for value in read[keys[1]])


def test_text_the_standard_library_alone_reads_goes_to_django() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite stores the text as it is given")
    card = _card({})
    with connection.cursor() as cursor:  # written past Django, as another program could
        cursor.execute(
            "UPDATE testapp_card SET data = %s WHERE id = %s",
            ['{"s": "\\ud800", "i": 1e400}', card.pk],
        )
    queryset = b.Card.objects.filter(pk=card.pk).values_list("data", flat=True)
    ours = next(iter(fetch_rows(queryset.values_list("data"), 10)))[0][0]
    theirs = queryset.get()
    assert ours["s"] == theirs["s"] == "\ud800"
    assert ours["i"] == theirs["i"] == math.inf


def test_a_field_with_a_decoder_of_its_own_is_left_to_django() -> None:
    field: Any = b.Card._meta.get_field("data")
    column = field.get_col(b.Card._meta.db_table)
    converters = field.get_db_converters(connection)
    assert json_converter(converters, column, lambda value: value) is not None
    decoding = field.clone()
    decoding.decoder = type("Decoder", (json.JSONDecoder,), {})
    decoding.model = b.Card
    column = decoding.get_col(b.Card._meta.db_table)
    assert json_converter(decoding.get_db_converters(connection), column, lambda v: v) is None
