"""Many rows overwritten in one statement sent many times, as Django would prepare them."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from django_graft.db.updates import update_rows
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db


def test_each_row_gets_its_own_values_and_the_rows_matched_are_counted(world: World) -> None:
    samples = list(m.Sample.objects.order_by("pk")[:3])
    fields = [m.Sample._meta.get_field("char"), m.Sample._meta.get_field("day")]
    rows: list[tuple[Any, dict[str, Any]]] = [
        (sample.pk, {"char": f"new {i}", "day": datetime.date(2030, 1, i + 1)})
        for i, sample in enumerate(samples)
    ]
    keys = [s.pk for s in samples]
    others = sorted(m.Sample.objects.exclude(pk__in=keys).values_list(), key=repr)
    seen: list[tuple[str, bool]] = []

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append((sql, many))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper), CaptureQueriesContext(connection) as ctx:
        matched = update_rows(m.Sample, fields, rows, "default")
    assert matched == 3
    stored = {s.pk: (s.char, s.day) for s in m.Sample.objects.filter(pk__in=keys)}
    assert stored == {key: (v["char"], v["day"]) for key, v in rows}
    assert sorted(m.Sample.objects.exclude(pk__in=keys).values_list(), key=repr) == others
    # One statement, seen by Django's hooks and its query log.
    assert len(seen) == 1 and seen[0][1] is True
    assert len(ctx.captured_queries) == 1


def test_a_row_that_is_gone_is_not_counted(world: World) -> None:
    task = m.Task.objects.order_by("pk").first()
    assert task is not None
    title = m.Task._meta.get_field("title")
    rows = [(task.pk, {"title": "kept"}), (10**9, {"title": "nowhere"})]
    assert update_rows(m.Task, [title], rows, "default") == 1
    # The same values again: matched, not only changed ones (MariaDB counts both alike).
    assert update_rows(m.Task, [title], rows[:1], "default") == 1
