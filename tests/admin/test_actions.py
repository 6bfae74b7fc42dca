"""The admin actions through Django's test client: preview, permissions, confirm, result."""

from __future__ import annotations

import gzip
import io
from pathlib import Path
from typing import Any

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission, User
from django.test import Client

from django_graft.archive.reader import read_archive
from django_graft.models import GraftLog
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/testapp/organisation/"


@pytest.fixture
def boss(db: None) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("boss", password="x"))
    return client


def staff_with(*codenames: str) -> Client:
    user = User.objects.create_user("clerk", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client = Client()
    client.force_login(user)
    return client


def act(client: Client, action: str, pks: list[Any], **extra: str) -> Any:
    data = {"action": action, ACTION_CHECKBOX_NAME: [str(pk) for pk in pks], **extra}
    return client.post(CHANGELIST, data)


def test_actions_are_offered(boss: Client, world: World) -> None:
    page = boss.get(CHANGELIST).content.decode()
    for name in ("export_with_related", "clone_with_related", "delete_with_related"):
        assert f'value="{name}"' in page


def test_export_previews_then_downloads_a_verified_archive(boss: Client, world: World) -> None:
    preview = act(boss, "export_with_related", [world.org.pk])
    assert preview.status_code == 200
    page = preview.content.decode()
    assert 'id="graft-counts"' in page and '<svg xmlns="http://www.w3.org/2000/svg"' in page
    assert 'data-model="testapp.project"' in page and 'id="graft-confirm"' in page
    download = act(boss, "export_with_related", [world.org.pk], post="yes", format="graft")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith('attachment; filename="testapp-organisation-')
    archive = b"".join(download.streaming_content)

    summary = read_archive(io.BytesIO(gzip.decompress(archive)))
    assert summary.counts["testapp.organisation"] == 1
    entry = GraftLog.objects.get()
    assert (entry.operation, entry.via, entry.username) == ("export", "admin", "boss")
    assert entry.sha256 == summary.sha256


def test_export_as_a_fixture(boss: Client, world: World) -> None:
    download = act(boss, "export_with_related", [world.org.pk], post="yes", format="json")
    assert download["Content-Disposition"].endswith('.json"')
    text = b"".join(download.streaming_content).decode()
    assert text.startswith('[{"model": ')


def test_clone_previews_then_copies(boss: Client, world: World) -> None:
    project = world.projects[0]
    url = "/admin/testapp/project/"
    data = {"action": "clone_with_related", ACTION_CHECKBOX_NAME: [str(project.pk)]}
    assert 'id="graft-confirm"' in boss.post(url, data).content.decode()
    before = m.Project.objects.filter(name=project.name).count()
    response = boss.post(url, {**data, "post": "yes"}, follow=True)
    assert m.Project.objects.filter(name=project.name).count() == before + 1
    assert "Cloned " in response.content.decode()
    assert GraftLog.objects.get().counts["testapp.project"] == 1


def test_a_refused_clone_is_reported_not_raised(boss: Client, world: World) -> None:
    before = m.Organisation.objects.count()
    response = act(boss, "clone_with_related", [world.org.pk], post="yes")
    assert response.status_code == 302  # the organisation's unique name is taken
    page = boss.get(CHANGELIST).content.decode()
    assert "The copies would repeat 1 unique value(s) of existing rows" in page
    assert m.Organisation.objects.count() == before
    assert GraftLog.objects.get().outcome == "failure"


def test_delete_shows_outside_changes_then_archives_and_deletes(
    boss: Client, world: World, archive_storage: Path
) -> None:
    tmp_path = archive_storage
    page = act(boss, "delete_with_related", [world.org.pk]).content.decode()
    assert 'id="graft-updates"' in page and "testapp.audit.project" in page
    response = act(boss, "delete_with_related", [world.org.pk], post="yes", archive="1")
    assert response.status_code == 302
    assert not m.Organisation.objects.filter(pk=world.org.pk).exists()
    (archive,) = (tmp_path / "graft").iterdir()
    assert archive.name.startswith("testapp-organisation-") and archive.name.endswith(".jsonl.gz")
    entry = GraftLog.objects.get()
    assert entry.operation == "delete" and entry.location.startswith("storage://archives/graft/")


def test_missing_permissions_are_listed_and_refused(world: World) -> None:
    client = staff_with("view_organisation", "delete_organisation")
    page = act(client, "delete_with_related", [world.org.pk]).content.decode()
    assert 'id="graft-lacking"' in page and "testapp.delete_project" in page
    assert 'id="graft-confirm"' not in page
    refused = act(client, "delete_with_related", [world.org.pk], post="yes")
    assert refused.status_code == 403
    assert m.Organisation.objects.filter(pk=world.org.pk).exists()
    assert not GraftLog.objects.exists()


def test_actions_need_the_model_permission_to_be_offered(world: World) -> None:
    client = staff_with("view_organisation")
    page = client.get(CHANGELIST).content.decode()
    assert 'value="export_with_related"' in page
    assert 'value="delete_with_related"' not in page and 'value="clone_with_related"' not in page


def test_the_setting_offers_the_actions_on_every_model(boss: Client) -> None:
    from django.contrib.admin import AdminSite, ModelAdmin
    from django.test import RequestFactory

    from django_graft.admin import add_graft_actions

    site = AdminSite(name="plain")
    site.register(m.Country, ModelAdmin)
    add_graft_actions(site)
    request = RequestFactory().get("/")
    request.user = User.objects.get(username="boss")
    actions = site._registry[m.Country].get_actions(request)
    assert {"export_with_related", "clone_with_related", "delete_with_related"} <= set(actions)
    # Except on the audit log, whose rows are no tree.
    from django_graft.admin import GraftLogAdmin
    from django_graft.models import GraftLog

    site.register(GraftLog, GraftLogAdmin)
    logged = site._registry[GraftLog].get_actions(request)
    assert not {"export_with_related", "clone_with_related", "delete_with_related"} & set(logged)


@pytest.mark.parametrize(
    ("action", "codenames", "missing"),
    [
        ("export_with_related", ["view_organisation"], "testapp.view_project"),
        ("clone_with_related", ["add_organisation", "view_organisation"], "testapp.add_project"),
    ],
)
def test_each_action_lists_what_is_missing(
    world: World, action: str, codenames: list[str], missing: str
) -> None:
    client = staff_with(*codenames)
    page = act(client, action, [world.org.pk]).content.decode()
    assert 'id="graft-lacking"' in page and missing in page
    assert 'id="graft-confirm"' not in page
    assert act(client, action, [world.org.pk], post="yes").status_code == 403
    assert not GraftLog.objects.exists()


def test_blockers_stop_a_delete(boss: Client, world: World) -> None:
    contract = m.Contract.objects.create(project=world.projects[0])
    page = act(boss, "delete_with_related", [world.org.pk]).content.decode()
    assert 'id="graft-blockers"' in page and f"testapp.contract {contract.pk}" in page
    assert 'id="graft-confirm"' not in page
    response = act(boss, "delete_with_related", [world.org.pk], post="yes")
    assert response.status_code == 200  # the preview again, nothing deleted
    assert m.Organisation.objects.filter(pk=world.org.pk).exists()


def test_the_preview_stays_small_whatever_the_blockers(boss: Client, world: World) -> None:
    m.Contract.objects.bulk_create([m.Contract(project=world.projects[0]) for _ in range(30)])
    page = act(boss, "delete_with_related", [world.org.pk]).content.decode()
    blockers = page.split('id="graft-blockers"', 1)[1].split("</ul>", 1)[0]
    assert blockers.count("<li>") == 21 and "<li>... and 10 more</li>" in blockers
