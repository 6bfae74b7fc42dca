"""Key filters: the rows Django's own ``__in`` lookup selects, through one plain WHERE term."""

from __future__ import annotations

import re

import pytest
from django.db import connection

from django_graft.db.keyfilter import filter_in
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db


def test_integer_keys_select_what_django_selects(world: World) -> None:
    keys = [*[p.pk for p in world.projects][::2], 10**9]
    ours = filter_in(m.Project.objects.all(), m.Project._meta.pk, keys)
    assert sorted(ours.values_list("pk", flat=True)) == sorted(
        m.Project.objects.filter(pk__in=keys).values_list("pk", flat=True)
    )


def test_the_condition_is_a_term_of_its_own_that_an_index_answers(world: World) -> None:
    """Not compared with TRUE, as filter() does with a raw SQL expression."""
    organisation = m.Project._meta.get_field("organisation")
    queryset = filter_in(m.Project.objects.filter(name="p"), organisation, [world.org.pk])
    sql, _ = queryset.query.sql_with_params()
    where = sql.split(" WHERE ", 1)[1]
    column = connection.ops.quote_name("organisation_id")
    if connection.vendor == "postgresql":
        assert re.search(rf"{re.escape(column)} = ANY\(%s::bigint\[\]\)\)?$", where)
    else:
        assert re.search(rf"{re.escape(column)} IN \(%s\)\)?$", where)
    assert not re.search(r"= (true|1)\b", where, re.IGNORECASE)
    assert list(queryset) == list(m.Project.objects.filter(name="p", organisation=world.org))


def test_keys_of_other_types_take_djangos_lookup(world: World) -> None:
    names = ["fr", "zz"]
    queryset = filter_in(m.Country.objects.all(), m.Country._meta.pk, names)
    assert [c.pk for c in queryset] == ["fr"]
