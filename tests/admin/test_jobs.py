"""Large admin operations go to a django.tasks backend when the project configures one."""

from __future__ import annotations

from typing import Any

import django
import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import User
from django.test import Client

from django_graft.models import GraftLog
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(django.VERSION < (6, 0), reason="django.tasks arrived in Django 6.0"),
]

CHANGELIST = "/admin/testapp/organisation/"
IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
DUMMY = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}


def login(username: str, **flags: Any) -> Client:
    client = Client()
    client.force_login(
        User.objects.create_superuser(username)
        if flags.get("super")
        else (User.objects.create_user(username, is_staff=True))
    )
    return client


def delete_org(client: Client, world: World, **extra: Any) -> Any:
    data = {"action": "delete_with_related", ACTION_CHECKBOX_NAME: [str(world.org.pk)]}
    return client.post(CHANGELIST, {**data, "post": "yes"}, **extra)


def test_small_operations_run_in_the_request(world: World, settings: Any) -> None:
    settings.TASKS = DUMMY  # configured, but the tree is under the threshold
    response = delete_org(login("boss", super=True), world, follow=True)
    assert "Deleted " in response.content.decode()
    assert not m.Organisation.objects.filter(pk=world.org.pk).exists()


def test_immediate_backend_runs_it_and_reports(world: World, settings: Any) -> None:
    settings.TASKS = IMMEDIATE
    settings.GRAFT = {"BACKGROUND_ROWS": 5}
    response = delete_org(login("boss", super=True), world, follow=True)
    assert "Done in the background" in response.content.decode()
    assert not m.Organisation.objects.filter(pk=world.org.pk).exists()
    entry = GraftLog.objects.get()
    assert (entry.operation, entry.via, entry.username) == ("delete", "admin", "boss")


def test_queued_jobs_show_their_page(world: World, settings: Any) -> None:
    from django.tasks import default_task_backend

    settings.TASKS = DUMMY
    settings.GRAFT = {"BACKGROUND_ROWS": 5}
    boss = login("boss", super=True)
    response = delete_org(boss, world)
    assert (
        response.status_code == 302 and "/admin/django_graft/graftlog/job/" in response["Location"]
    )
    page = boss.get(response["Location"]).content.decode()
    assert 'data-status="READY"' in page and 'http-equiv="refresh"' in page
    assert m.Organisation.objects.filter(pk=world.org.pk).exists()  # queued, not run
    other = login("clerk")
    assert other.get(response["Location"]).status_code == 403
    default_task_backend.clear()  # type: ignore[attr-defined]


def test_large_imports_go_to_the_backend(world: World, settings: Any, archive_storage: Any) -> None:
    tmp_path = archive_storage
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile

    from django_graft import delete, export

    settings.TASKS = IMMEDIATE
    settings.GRAFT = {**settings.GRAFT, "BACKGROUND_ROWS": 5}
    buffer = io.BytesIO()
    export(world.org, buffer)
    delete(world.org)
    boss = login("boss", super=True)
    page = "/admin/django_graft/graftlog/import/"
    form = {"step": "upload", "pks": "keep", "on_conflict": "fail"}
    boss.post(page, {**form, "archive": SimpleUploadedFile("org.jsonl", buffer.getvalue())})
    (kept,) = (tmp_path / "graft" / "uploads").iterdir()
    confirm = {**form, "step": "confirm", "name": f"graft/uploads/{kept.name}"}
    response = boss.post(page, confirm, follow=True)
    assert "Imported in the background" in response.content.decode()
    assert m.Organisation.objects.filter(pk=world.org.pk).exists()
