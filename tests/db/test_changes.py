"""SQLite's change counters: they move with every write, and only then."""

from __future__ import annotations

import pytest
from django.db import connection

from django_graft.db.changes import change_stamp
from tests.testapp import models as m

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sqlite_only() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the counters are SQLite's")


def test_reading_leaves_the_stamp_as_it_was() -> None:
    before = change_stamp(connection)
    list(m.Tag.objects.all())
    assert change_stamp(connection) == before is not None


@pytest.mark.parametrize("write", ["create", "update", "delete"])
def test_any_write_moves_the_stamp(write: str) -> None:
    tag = m.Tag.objects.create(name="counted")
    before = change_stamp(connection)
    if write == "create":
        m.Tag.objects.create(name="another")
    elif write == "update":
        m.Tag.objects.filter(pk=tag.pk).update(name="renamed")
    else:
        tag.delete()
    assert change_stamp(connection) != before
