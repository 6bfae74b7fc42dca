"""Bulk reads take psycopg's ``timestamptz`` loader only where it gives Django's own values."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.test import override_settings

from django_graft.db.fetch import fetch_rows
from django_graft.db.timestamps import read_timestamps_natively
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="psycopg's loaders"),
]

MOMENTS = [
    datetime.datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=datetime.timezone.utc),
    datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc),
    datetime.datetime(2038, 1, 19, 3, 14, 8, tzinfo=datetime.timezone(datetime.timedelta(hours=5))),
    datetime.datetime(1, 1, 1, 0, 0, tzinfo=datetime.timezone.utc),
    datetime.datetime(9999, 12, 31, 23, 59, 59, tzinfo=datetime.timezone.utc),
]


def moments(world: World, values: list[datetime.datetime] = MOMENTS) -> list[int]:
    sample = m.Sample.objects.filter(project__organisation=world.org).first()
    assert sample is not None
    keys = []
    for moment in values:
        sample.pk = None
        sample.moment = moment
        sample.save()
        keys.append(sample.pk)
    return keys


def read_both_ways(keys: list[int]) -> tuple[list[Any], list[Any]]:
    """The moments as :func:`fetch_rows` reads them, and as Django's queryset does."""
    queryset = m.Sample.objects.filter(pk__in=keys).order_by("pk").values_list("pk", "moment")
    ours = [row for chunk in fetch_rows(queryset, 2) for row in chunk]
    return ours, list(queryset)


def loader_is_psycopgs() -> bool:
    import psycopg

    oid, text = psycopg.postgres.types["timestamptz"].oid, psycopg.pq.Format.TEXT
    with connection.cursor() as cursor:
        read_timestamps_natively(connection, cursor)
        used = cursor.cursor.adapters.get_loader(oid, text)
    return bool(used is psycopg.adapters.get_loader(oid, text))


def test_values_and_zones_are_djangos(world: World) -> None:
    ours, theirs = read_both_ways(moments(world))
    assert ours == theirs
    assert [value.tzinfo for _, value in ours] == [value.tzinfo for _, value in theirs]
    assert loader_is_psycopgs()


def test_without_time_zones_djangos_loader_stays(world: World) -> None:
    keys = moments(world)
    with override_settings(USE_TZ=False):
        ours, theirs = read_both_ways(keys)
        assert not loader_is_psycopgs()
    assert ours == theirs
    assert all(value.tzinfo is None for _, value in ours)


def test_a_session_in_another_zone_keeps_djangos_loader(world: World) -> None:
    keys = moments(world, MOMENTS[:3])  # the years 1 and 9999 pass the ends in other zones
    with connection.cursor() as cursor:  # undone with the test's transaction
        cursor.execute("SET TIME ZONE 'Asia/Kathmandu'")
    ours, theirs = read_both_ways(keys)
    assert not loader_is_psycopgs()
    assert ours == theirs
    assert [value.tzinfo for _, value in ours] == [value.tzinfo for _, value in theirs]
