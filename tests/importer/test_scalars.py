"""Archive values read as the field's own ``to_python`` reads them, remembered or not."""

from __future__ import annotations

import datetime
import decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import models

from django_graft.importer.scalars import value_parser

DURATIONS = ["P0DT01H30M00S", "-P1DT02H03M04.000005S", "P3DT00H00M00.5S", "1 day, 2:03:04"]
DECIMALS = ["0.00", "-0.00", "12.50", "1E+2", "-0"]


@pytest.mark.parametrize(
    ("field", "values"),
    [
        (models.DurationField(), [*DURATIONS, *DURATIONS, None]),
        (models.DecimalField(max_digits=9, decimal_places=2), [*DECIMALS, *DECIMALS, 0.0, -0.0]),
    ],
    ids=["duration", "decimal"],
)
def test_values_read_again_are_read_as_django_reads_them(field: Any, values: list[Any]) -> None:
    parse = value_parser(field)
    assert parse is not None
    for value in values:
        read, expected = parse(value), field.to_python(value)
        assert (type(read), str(read)) == (type(expected), str(expected)), value


def test_negative_and_positive_zero_are_two_decimals() -> None:
    parse = value_parser(models.DecimalField(max_digits=9, decimal_places=2))
    assert parse is not None
    assert str(parse(0.0)) == "0" and str(parse(-0.0)) == "-0"
    assert str(parse("0")) == "0" and str(parse("-0")) == "-0"


def test_a_text_refused_is_refused_each_time() -> None:
    parse = value_parser(models.DurationField())
    assert parse is not None
    for _ in range(3):
        with pytest.raises(ValidationError):
            parse("an hour or so")


class _Counting(models.DurationField):  # type: ignore[type-arg]
    calls = 0

    def to_python(self, value: Any) -> Any:
        type(self).calls += 1
        return datetime.timedelta(seconds=type(self).calls)


def test_a_field_with_its_own_to_python_reads_every_value() -> None:
    parse = value_parser(_Counting())
    assert parse is not None
    assert [parse("P0DT00H00M01S") for _ in range(3)] == [
        datetime.timedelta(seconds=n) for n in (1, 2, 3)
    ]


def test_decimals_stay_decimals() -> None:
    parse = value_parser(models.DecimalField(max_digits=9, decimal_places=2))
    assert parse is not None
    assert parse("12.50") == decimal.Decimal("12.50")
