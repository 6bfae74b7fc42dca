"""The admin's import page and its background job: what this installation did not sign."""

from __future__ import annotations

import html
import io
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from django_graft import delete, export
from django_graft.admin.background import run
from tests.archive.signatures import signature_of, with_trailer
from tests.snapshots import every_table
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db

PAGE = "/admin/django_graft/graftlog/import/"
SETTING = "GRAFT['ADMIN_IMPORT_REQUIRE_SIGNED']"
UNSIGNED = "an archive this installation did not sign"
LACKING = {
    "unsigned": f"superuser status, to import {UNSIGNED} ({SETTING})",
    "foreign": f"superuser status, to import {UNSIGNED} ({SETTING})",
    "fixture": f"superuser status, to import a fixture: fixtures are not signed ({SETTING})",
}
SIGNATURE = {
    "signed": "Signature: Signed by this installation.",
    "unsigned": "Signature: Not signed: written before archives were signed, or not by "
    "django-graft.",
    "foreign": "Signature: Not signed by this installation: the signature was made with "
    "another key (another installation's, or one retired here), or was altered.",
    "fixture": "Signature: Not signed: a Django json fixture carries no signature.",
}
NAMES = {
    "signed": "org.jsonl",
    "unsigned": "org.jsonl",
    "foreign": "org.jsonl",
    "fixture": "org.json",
}


@pytest.fixture(autouse=True)
def storage(archive_storage: Path) -> Path:
    return archive_storage


def _unsigned(trailer: dict[str, Any]) -> None:
    del trailer["signature"]


def _foreign(trailer: dict[str, Any]) -> None:
    trailer["signature"] = signature_of(trailer["sha256"], "another installation")


def input_of(world: World, kind: str) -> bytes:
    """The organisation as an archive or fixture of ``kind``; the organisation is then deleted."""
    buffer = io.BytesIO()
    export(world.org, buffer, format="json" if kind == "fixture" else None)
    delete(world.org)
    data = buffer.getvalue()
    if kind in ("unsigned", "foreign"):
        data = with_trailer(data, {"unsigned": _unsigned, "foreign": _foreign}[kind])
    return data


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def clerk() -> User:
    """A staff user holding every permission there is, but no superuser."""
    user = User.objects.create_user("clerk", is_staff=True)
    user.user_permissions.set(Permission.objects.all())
    fresh: User = User.objects.get(pk=user.pk)  # the permission cache starts empty
    return fresh


def boss() -> User:
    user: User = User.objects.create_superuser("boss")
    return user


def upload(client: Client, data: bytes, name: str) -> str:
    form = {"step": "upload", "pks": "keep", "on_conflict": "fail"}
    response = client.post(PAGE, {**form, "archive": SimpleUploadedFile(name, data)})
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def confirm(client: Client, storage: Path) -> Any:
    (kept,) = (storage / "graft" / "uploads").iterdir()
    form = {"step": "confirm", "name": f"graft/uploads/{kept.name}", "pks": "keep"}
    return client.post(PAGE, {**form, "on_conflict": "fail"})


@pytest.mark.parametrize("kind", ["unsigned", "foreign", "fixture"])
def test_a_staff_user_with_every_permission_is_refused(
    world: World, storage: Path, kind: str
) -> None:
    data = input_of(world, kind)
    client = client_for(clerk())
    before = every_table()
    review = upload(client, data, NAMES[kind])
    assert SIGNATURE[kind] in review
    assert f"<li>{LACKING[kind]}</li>" in review
    assert 'id="graft-confirm"' not in review
    assert 'id="graft-report"' not in review  # refused before anything was planned
    assert confirm(client, storage).status_code == 403
    assert every_table() == before


def test_a_staff_user_may_import_a_signed_archive(world: World, storage: Path) -> None:
    data = input_of(world, "signed")
    client = client_for(clerk())
    review = upload(client, data, "org.jsonl")
    assert SIGNATURE["signed"] in review and 'id="graft-confirm"' in review
    assert "superuser status" not in review
    done = html.unescape(confirm(client, storage).content.decode())
    assert 'id="graft-done"' in done and SIGNATURE["signed"] in done
    assert m.Organisation.objects.filter(pk=world.org.pk).exists()


@pytest.mark.parametrize("kind", ["unsigned", "foreign", "fixture"])
def test_a_superuser_may_import_it(world: World, storage: Path, kind: str) -> None:
    data = input_of(world, kind)
    client = client_for(boss())
    review = upload(client, data, NAMES[kind])
    assert SIGNATURE[kind] in review and 'id="graft-confirm"' in review
    done = html.unescape(confirm(client, storage).content.decode())
    assert 'id="graft-done"' in done and SIGNATURE[kind] in done
    assert m.Organisation.objects.filter(pk=world.org.pk).exists()


@pytest.mark.parametrize("kind", ["unsigned", "foreign", "fixture"])
def test_with_the_setting_off_permissions_decide(
    world: World, storage: Path, settings: Any, kind: str
) -> None:
    settings.GRAFT = {**settings.GRAFT, "ADMIN_IMPORT_REQUIRE_SIGNED": False}
    data = input_of(world, kind)
    client = client_for(clerk())
    review = upload(client, data, NAMES[kind])
    assert SIGNATURE[kind] in review and 'id="graft-confirm"' in review
    assert 'id="graft-done"' in confirm(client, storage).content.decode()
    assert m.Organisation.objects.filter(pk=world.org.pk).exists()


def test_link_records_need_a_signature_even_for_a_superuser(world: World, storage: Path) -> None:
    buffer = io.BytesIO()
    delete(world.projects[0], archive=buffer)
    data = with_trailer(buffer.getvalue(), _unsigned)
    client = client_for(boss())
    before = every_table()
    review = upload(client, data, "project.jsonl")
    assert (
        "The archive carries link records (testapp.audit 1, testapp.task 2), which change "
        "rows outside it, and is not signed." in review
    )
    assert 'id="graft-confirm"' not in review
    assert confirm(client, storage).status_code == 200  # shown the error again
    assert every_table() == before


def job(user: User, storage: Path, data: bytes, name: str) -> dict[str, Any]:
    (storage / "graft").mkdir(exist_ok=True)
    (storage / "graft" / name).write_bytes(data)
    location = f"storage://archives/graft/{name}"
    return run(
        {
            "operation": "import",
            "label": "",
            "pks": [],
            "database": "default",
            "user": user.pk,
            "options": {"location": location, "pks": "keep", "on_conflict": "fail"},
        }
    )


@pytest.mark.parametrize("kind", ["unsigned", "foreign", "fixture"])
def test_the_background_job_checks_it_again(world: World, storage: Path, kind: str) -> None:
    data = input_of(world, kind)
    staff, superuser = clerk(), boss()
    before = every_table()
    outcome = job(staff, storage, data, NAMES[kind])
    assert (outcome["outcome"], outcome["message"]) == ("refused", LACKING[kind])
    assert every_table() == before
    assert job(superuser, storage, data, NAMES[kind])["outcome"] == "success"
    assert m.Organisation.objects.filter(pk=world.org.pk).exists()


def test_the_background_job_takes_a_signed_archive_from_staff(world: World, storage: Path) -> None:
    outcome = job(clerk(), storage, input_of(world, "signed"), "org.jsonl")
    assert outcome["outcome"] == "success"
    assert m.Organisation.objects.filter(pk=world.org.pk).exists()


@pytest.mark.parametrize("kind", ["unsigned", "fixture"])
def test_the_import_itself_requires_the_signature(
    world: World, storage: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """An input that passed the check and then changed in the storage is refused all the same."""
    from django_graft.admin import signature

    monkeypatch.setattr(signature, "judge", lambda user, location: None)
    data = input_of(world, kind)
    staff = clerk()
    client = client_for(staff)
    before = every_table()
    assert 'id="graft-confirm"' in upload(client, data, NAMES[kind])
    done = html.unescape(confirm(client, storage).content.decode())
    assert "Only an archive this installation signed may be imported here." in done
    assert 'id="graft-done"' not in done
    outcome = job(staff, storage, data, NAMES[kind])
    assert outcome["outcome"] == "failure"
    assert outcome["message"].startswith("Only an archive this installation signed may be")
    assert every_table() == before
