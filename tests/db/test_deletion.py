"""What ``django_graft.db.deletion`` reads of Django's deletion machinery, checked against it."""

from __future__ import annotations

from typing import Any

import django
import pytest
from django.db import models
from django.db.models import ProtectedError, signals
from django.db.models.functions import Now

from django_graft.db.deletion import ask_on_delete, constant_db_default, receiver_that_raised
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db


def test_set_null_answers_the_rows_it_clears(world: World) -> None:
    person = world.people[0]
    fk = m.Task._meta.get_field("assignee")
    rows = m.Task.objects.filter(assignee=person)
    answer = ask_on_delete(fk, rows, "default")
    assert answer.collected == []
    assert {key: sorted(keys) for key, keys in answer.updates.items()} == {
        (fk, None): sorted(rows.values_list("pk", flat=True))
    }


def test_cascade_answers_the_rows_it_deletes_too(world: World) -> None:
    fk = m.Milestone._meta.get_field("project")
    rows = m.Milestone.objects.filter(project=world.projects[0])
    answer = ask_on_delete(fk, rows, "default")
    collected = {k for model, keys in answer.collected if model is m.Milestone for k in keys}
    assert collected == set(rows.values_list("pk", flat=True)) and collected


def test_protect_refuses(world: World) -> None:
    fk = m.Project._meta.get_field("lead")
    with pytest.raises(ProtectedError):
        ask_on_delete(fk, m.Project.objects.filter(lead=world.people[0]), "default")


@pytest.mark.skipif(django.VERSION < (5, 0), reason="db_default is Django 5.0+")
def test_a_constant_db_default_is_known_and_an_expression_is_not() -> None:
    assert constant_db_default(models.IntegerField(db_default=5)) == (True, 5)
    assert constant_db_default(models.IntegerField(db_default=models.Value(6))) == (True, 6)
    assert constant_db_default(models.DateTimeField(db_default=Now())) == (False, None)
    assert constant_db_default(models.IntegerField()) == (False, None)


class Refused(Exception):
    pass


def refuse(**kwargs: Any) -> None:
    raise Refused("no")


def test_the_receiver_that_raised_is_named(world: World) -> None:
    signals.pre_delete.connect(refuse, sender=m.Tag)
    try:
        with pytest.raises(Refused) as info:
            signals.pre_delete.send(sender=m.Tag, instance=m.Tag(name="z"), using="default")
    finally:
        signals.pre_delete.disconnect(refuse, sender=m.Tag)
    assert receiver_that_raised(info.value) == f"{__name__}.refuse"
