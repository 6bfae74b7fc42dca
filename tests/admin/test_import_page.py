"""The admin's import page: upload or pick, dry-run report, permissions, confirm."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from django_graft import delete, export
from django_graft.models import GraftLog
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db

PAGE = "/admin/django_graft/graftlog/import/"


@pytest.fixture(autouse=True)
def storage(archive_storage: Path) -> Path:
    return archive_storage


@pytest.fixture
def boss(db: None) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("boss"))
    return client


def deleted_org_archive(world: World) -> bytes:
    """An archive of the organisation, which is then deleted: importing it puts it back."""
    buffer = io.BytesIO()
    export(world.org, buffer)
    delete(world.org)
    return buffer.getvalue()


def upload(client: Client, data: bytes, name: str = "org.jsonl", **options: str) -> Any:
    form = {"step": "upload", "pks": "keep", "on_conflict": "fail", **options}
    return client.post(PAGE, {**form, "archive": SimpleUploadedFile(name, data)})


def test_the_log_links_to_the_page(boss: Client) -> None:
    page = boss.get("/admin/django_graft/graftlog/").content.decode()
    assert f'href="{PAGE}"' in page
    assert 'id="graft-import-form"' in boss.get(PAGE).content.decode()


def test_upload_review_confirm(boss: Client, world: World, storage: Path) -> None:
    data = deleted_org_archive(world)
    review = upload(boss, data).content.decode()
    assert 'id="graft-report"' in review and 'data-model="testapp.organisation"' in review
    assert 'id="graft-confirm"' in review
    assert not m.Organisation.objects.filter(pk=world.org.pk).exists()  # a dry run
    (kept,) = (storage / "graft" / "uploads").iterdir()
    done = boss.post(
        PAGE,
        {
            "step": "confirm",
            "name": f"graft/uploads/{kept.name}",
            "pks": "keep",
            "on_conflict": "fail",
        },
    ).content.decode()
    assert 'id="graft-done"' in done
    assert m.Organisation.objects.filter(pk=world.org.pk).exists()
    assert not list((storage / "graft" / "uploads").iterdir())  # the upload is removed
    entry = GraftLog.objects.get()
    assert (entry.operation, entry.via, entry.outcome) == ("import", "admin", "success")


def test_conflicts_are_shown_and_nothing_can_be_confirmed(boss: Client, world: World) -> None:
    buffer = io.BytesIO()
    export(world.org, buffer)
    type(world.org).objects.filter(pk=world.org.pk).update(name="Renamed since")
    review = upload(boss, buffer.getvalue()).content.decode()
    assert 'id="graft-conflicts"' in review
    assert "the row with this key differs in name" in review
    assert 'id="graft-confirm"' not in review


def test_an_archive_already_imported_is_there_unchanged(boss: Client, world: World) -> None:
    buffer = io.BytesIO()
    export(world.org, buffer)
    review = upload(boss, buffer.getvalue()).content.decode()
    assert 'id="graft-conflicts"' not in review
    assert ">Unchanged</th>" in review


def test_an_archive_already_in_the_storage(boss: Client, world: World, storage: Path) -> None:
    (storage / "graft").mkdir()
    (storage / "graft" / "org.jsonl").write_bytes(deleted_org_archive(world))
    form = {"step": "upload", "stored": "graft/org.jsonl", "pks": "keep", "on_conflict": "fail"}
    assert 'id="graft-confirm"' in boss.post(PAGE, form).content.decode()


def test_only_names_the_page_offered_can_be_confirmed(boss: Client) -> None:
    form = {"step": "confirm", "name": "../secrets.jsonl", "pks": "keep", "on_conflict": "fail"}
    assert boss.post(PAGE, form).status_code == 403


def test_missing_permissions_block_the_import(world: World) -> None:
    data = deleted_org_archive(world)
    clerk = User.objects.create_user("clerk", is_staff=True)
    clerk.user_permissions.add(
        Permission.objects.get(codename="add_organisation", content_type__app_label="testapp")
    )
    client = Client()
    client.force_login(clerk)
    review = upload(client, data).content.decode()
    # Refused before planning: the archive names models the clerk may not view.
    assert 'id="graft-lacking"' in review and "testapp.view_project" in review
    assert 'id="graft-report"' not in review
    assert 'id="graft-confirm"' not in review


def test_staff_accounts_need_a_superuser(world: World, settings: Any) -> None:
    # Fixtures need a superuser anyway while that is on: the rule under test comes second.
    settings.GRAFT = {**settings.GRAFT, "ADMIN_IMPORT_REQUIRE_SIGNED": False}
    fixture = [
        {
            "model": "auth.user",
            "pk": 900,
            "fields": {"username": "mallory", "password": "x", "is_superuser": True},
        }
    ]
    clerk = User.objects.create_user("clerk", is_staff=True)
    clerk.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["add_user", "change_user", "view_group", "view_permission"]
        )
    )
    client = Client()
    client.force_login(clerk)
    review = upload(client, json.dumps(fixture).encode(), "users.json").content.decode()
    assert "superuser status, to create staff or superuser accounts: auth.user 900" in review
    assert 'id="graft-confirm"' not in review
    form = {"step": "confirm", "pks": "keep", "on_conflict": "fail"}
    name = next(iter(Path(str(_uploads())).iterdir())).name
    assert client.post(PAGE, {**form, "name": f"graft/uploads/{name}"}).status_code == 403
    assert not User.objects.filter(username="mallory").exists()


def _uploads() -> Path:
    from django.core.files.storage import storages

    return Path(storages["archives"].path("graft/uploads"))


def test_oversized_uploads_are_refused_unread(boss: Client, settings: Any) -> None:
    settings.GRAFT = {**settings.GRAFT, "MAX_UPLOAD_BYTES": 1000}
    response = upload(boss, b"x" * 5000)
    assert response.status_code == 413
    assert "larger than GRAFT[&#x27;MAX_UPLOAD_BYTES&#x27;]" in response.content.decode()
    assert not _uploads().exists()


def test_options_can_be_changed_after_the_dry_run(boss: Client, world: World) -> None:
    buffer = io.BytesIO()
    export(world.org, buffer)
    type(world.org).objects.filter(pk=world.org.pk).update(name="Renamed since")
    review = upload(boss, buffer.getvalue()).content.decode()
    assert 'id="graft-conflicts"' in review and 'id="graft-recheck"' in review
    (kept,) = _uploads().iterdir()
    form = {"step": "recheck", "name": f"graft/uploads/{kept.name}", "pks": "keep"}
    again = boss.post(PAGE, {**form, "on_conflict": "skip"}).content.decode()
    assert 'id="graft-report"' in again and 'id="graft-confirm"' in again
    assert '<th scope="row">Rows whose key is taken</th><td>skip</td>' in again
