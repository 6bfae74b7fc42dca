"""The values a clone gives its copies, read as their fields read them."""

from __future__ import annotations

import datetime
import re

import pytest

from django_graft.schema.setfields import SetFieldError, field_value, parse_assignment


@pytest.mark.django_db
def test_values_are_read_by_their_field() -> None:
    assert field_value("testapp.Project.name", "Acme (copy)") == "Acme (copy)"
    assert field_value("testapp.Sample.integer", "12") == 12
    assert field_value("testapp.Project.name", "null") is None
    assert parse_assignment("testapp.Sample.day=2024-02-29") == (
        "testapp.Sample.day",
        datetime.date(2024, 2, 29),
    )


@pytest.mark.parametrize(
    ("label", "raw", "message"),
    [
        ("testapp.Project", "x", "expected 'app_label.Model.field=VALUE'"),
        ("testapp.Project.colour", "red", "Project has no field 'colour'"),
        ("nowhere.Thing.name", "x", "nowhere"),
        ("testapp.Sample.integer", "many", "'many' is not a value for testapp.sample.integer"),
    ],
)
def test_mistakes_are_named(label: str, raw: str, message: str) -> None:
    with pytest.raises(SetFieldError, match=re.escape(message)):
        field_value(label, raw)
