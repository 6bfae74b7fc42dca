"""The clone preview's form: values for the copies' unique fields that would clash."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission, User
from django.test import Client

from django_graft import collect
from django_graft.admin.cloneform import clashing_fields
from django_graft.models import GraftLog
from django_graft.policy.rules import Policy
from tests.snapshots import every_table
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db

ORGANISATIONS = "/admin/testapp/organisation/"
NAME = "testapp.Organisation.name"


@pytest.fixture
def boss(db: None) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("boss", password="x"))
    return client


def clone(client: Client, pks: list[Any], **posted: str) -> Any:
    data = {"action": "clone_with_related", ACTION_CHECKBOX_NAME: [str(pk) for pk in pks]}
    return client.post(ORGANISATIONS, {**data, **posted})


def inputs(page: str) -> list[str]:
    return re.findall(r'<input type="text" name="([^"]+)"', page)


def field_errors(page: str) -> str:
    found = re.search(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', page, re.S)
    return found.group(1) if found else ""


def test_the_form_lists_the_unique_fields_whose_copies_would_clash(
    boss: Client, world: World
) -> None:
    page = clone(boss, [world.org.pk]).content.decode()
    # The organisation's name is unique and set; projects, tasks... have no unique
    # field but their keys, which the copies get new; tags are needed, not copied.
    assert inputs(page) == [NAME]
    label = re.search(rf'<label for="id_{re.escape(NAME)}">(.*?)</label>', page)
    assert label is not None and label.group(1).replace("<wbr>", "") == f"{NAME}:"
    assert "The value given to the copies" in page
    assert '<fieldset class="module aligned' in page and '<div class="submit-row">' in page


def test_a_posted_value_reaches_the_copy(boss: Client, world: World) -> None:
    response = clone(boss, [world.org.pk], post="yes", **{NAME: "Acme (copy)"})
    assert response.status_code == 302
    copy = m.Organisation.objects.get(name="Acme (copy)")
    assert copy.projects.count() == world.org.projects.count() > 0
    assert GraftLog.objects.get().outcome == "success"
    message = boss.get(ORGANISATIONS).content.decode()
    assert f"values given to the copies: {NAME} = Acme (copy)" in message


def test_without_a_value_the_clone_is_refused_as_before(boss: Client, world: World) -> None:
    before = every_table()
    assert clone(boss, [world.org.pk], post="yes", **{NAME: ""}).status_code == 302
    assert "The copies would repeat 1 unique value(s)" in boss.get(ORGANISATIONS).content.decode()
    assert every_table() == before


def test_one_value_for_many_copies_is_refused_on_the_form(boss: Client, world: World) -> None:
    before = every_table()
    response = clone(boss, [world.org.pk, world.other_org.pk], post="yes", **{NAME: "Same"})
    page = response.content.decode()
    assert response.status_code == 200 and 'class="errornote"' in page
    assert "2 rows of testapp.Organisation are copied" in field_errors(page)
    assert 'value="Same"' in page  # the form keeps what was typed
    assert every_table() == before
    assert not GraftLog.objects.exists()


def test_a_value_the_field_cannot_take_is_refused_on_the_form(boss: Client, world: World) -> None:
    before = every_table()
    page = clone(boss, [world.org.pk], post="yes", **{NAME: "null"}).content.decode()
    assert f"{NAME} cannot be NULL." in field_errors(page)
    assert every_table() == before


def test_a_value_already_taken_is_shown_on_the_form(boss: Client, world: World) -> None:
    before = every_table()
    response = clone(boss, [world.org.pk], post="yes", **{NAME: "Globex"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "The copies would repeat 1 unique value(s)" in page and 'class="errornote"' in page
    assert every_table() == before
    assert GraftLog.objects.get().outcome == "failure"


def test_values_need_the_permissions_the_clone_needs(world: World) -> None:
    clerk = User.objects.create_user("clerk", is_staff=True)
    clerk.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_organisation", "view_organisation"])
    )
    client = Client()
    client.force_login(clerk)
    before = every_table()
    response = clone(client, [world.org.pk], post="yes", **{NAME: "Acme (copy)"})
    assert response.status_code == 403
    assert every_table() == before


def test_fields_the_policy_gives_values_are_not_asked_for(world: World) -> None:
    assert [c.label for c in clashing_fields(collect(world.org))] == [NAME]
    named = Policy(set_fields={NAME: lambda row: f"{row['name']} (copy)"})
    assert clashing_fields(collect(world.org, policy=named)) == []
