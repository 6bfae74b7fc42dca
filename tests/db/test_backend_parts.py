"""Field classes, integer ranges, sequences and COPY: what ``django_graft.db`` reads of Django."""

from __future__ import annotations

import pytest
from django.db import connection, models
from django.db.backends.base.operations import BaseDatabaseOperations

from django_graft.db.driver import can_copy
from django_graft.db.fieldclasses import django_field_classes
from django_graft.db.integers import integer_range
from django_graft.db.sequences import reset_sequences
from tests.testapp import models as m


class Custom(models.CharField):  # type: ignore[type-arg]
    pass


def test_djangos_field_classes_are_told_from_others() -> None:
    from django.db.models.fields.proxy import OrderWrt

    classes = django_field_classes()
    assert {models.IntegerField, models.CharField, models.JSONField, OrderWrt} <= classes
    assert issubclass(OrderWrt, models.IntegerField)
    assert Custom not in classes


def test_integer_ranges_are_the_backends() -> None:
    assert BaseDatabaseOperations.integer_field_ranges["IntegerField"] == (-(2**31), 2**31 - 1)
    ops = connection.ops
    assert integer_range("SmallIntegerField", connection.vendor, ops) == (-32768, 32767)
    assert integer_range("BigIntegerField", connection.vendor, ops) == (-(2**63), 2**63 - 1)
    assert integer_range("CharField", connection.vendor, ops) is None


@pytest.mark.django_db
def test_a_sequence_moves_past_keys_written_with_them() -> None:
    top = (m.Tag.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000
    m.Tag.objects.create(pk=top, name="kept")
    reset_sequences(connection, [m.Tag])
    assert m.Tag.objects.create(name="next").pk > top


def test_copy_is_offered_on_postgresql_only() -> None:
    assert can_copy(connection) == (connection.vendor == "postgresql")
