"""Where the admin writes archives, the checks on that storage, and who may read what."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission, User
from django.core.checks import run_checks
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from django_graft.checks import check_admin_storage, check_settings
from django_graft.models import GraftLog
from tests.snapshots import every_table
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/testapp/organisation/"
PAGE = "/admin/django_graft/graftlog/import/"
FILE_SYSTEM = "django.core.files.storage.FileSystemStorage"
#: A delete's archive: the roots, when, and a 128-bit random token.
UNGUESSABLE = re.compile(r"testapp-organisation-\d+-\d{8}-\d{6}-[0-9a-f]{32}\.jsonl\.gz")


def add_storage(settings: Any, alias: str, folder: Path, **options: Any) -> Path:
    settings.STORAGES = {
        **settings.STORAGES,
        alias: {"BACKEND": FILE_SYSTEM, "OPTIONS": {"location": str(folder), **options}},
    }
    return folder


@pytest.fixture
def private(settings: Any, tmp_path: Path) -> Path:
    """A storage under the alias "graft", outside anything the web server serves."""
    return add_storage(settings, "graft", tmp_path / "private")


def login(username: str, *, superuser: bool = False) -> Client:
    if superuser:
        user = User.objects.create_superuser(username)
    else:
        user = User.objects.create_user(username, is_staff=True)
        user.user_permissions.add(*Permission.objects.filter(content_type__app_label="testapp"))
    client = Client()
    client.force_login(user)
    return client


def delete_with_archive(client: Client, world: World) -> Any:
    data = {"action": "delete_with_related", ACTION_CHECKBOX_NAME: [str(world.org.pk)]}
    return client.post(CHANGELIST, {**data, "post": "yes", "archive": "1"})


def offered(client: Client) -> list[str]:
    page = client.get(PAGE).content.decode()
    (select,) = re.findall(r'<select name="stored"[^>]*>(.*?)</select>', page, re.DOTALL)
    return [value for value in re.findall(r'<option value="([^"]*)"', select) if value]


# -- where archives go ---------------------------------------------------------


def test_a_delete_archives_to_the_dedicated_storage(world: World, private: Path) -> None:
    boss = login("boss", superuser=True)
    assert delete_with_archive(boss, world).status_code == 302
    (archive,) = (private / "graft").iterdir()
    assert UNGUESSABLE.fullmatch(archive.name), archive.name
    entry = GraftLog.objects.get()
    assert entry.location == f"storage://graft/graft/{archive.name}"


def test_two_archives_of_the_same_roots_share_no_name(world: World, private: Path) -> None:
    from django_graft.admin.archives import new_location

    names = {new_location("graft", "testapp-organisation-1-20260101-000000", ".gz") for _ in "ab"}
    assert len(names) == 2


def test_the_setting_names_the_admin_storage(
    world: World, settings: Any, tmp_path: Path, private: Path
) -> None:
    vault = add_storage(settings, "vault", tmp_path / "vault")
    settings.GRAFT = {"ADMIN_STORAGE": "vault"}
    delete_with_archive(login("boss", superuser=True), world)
    (archive,) = (vault / "graft").iterdir()
    assert UNGUESSABLE.fullmatch(archive.name)
    assert not (private / "graft").exists()


# -- the checks ----------------------------------------------------------------


def messages_of(found: list[Any]) -> list[tuple[str, str]]:
    return [(message.id, message.msg) for message in found]


def test_no_storage_of_its_own_warns(settings: Any, tmp_path: Path) -> None:
    add_storage(settings, "archives", tmp_path)
    settings.GRAFT = {"STORAGE": "archives"}
    assert messages_of(check_admin_storage()) == [
        (
            "graft.W030",
            "The archives the admin writes and its uploads go to GRAFT['STORAGE'] "
            "('archives'), which has no room of its own for them.",
        )
    ]


def test_the_storage_checks_run_with_deploy_only(settings: Any, tmp_path: Path) -> None:
    """Security warnings, as Django's own: not printed before every command."""
    add_storage(settings, "archives", tmp_path)
    settings.GRAFT = {"STORAGE": "archives"}
    everyday = {m.id for m in run_checks(databases=[])}
    deploy = {m.id for m in run_checks(databases=[], include_deployment_checks=True)}
    assert "graft.W030" not in everyday
    assert "graft.W030" in deploy


def test_a_private_storage_of_its_own_is_quiet(private: Path) -> None:
    assert check_admin_storage() == []


def test_a_storage_inside_media_root_warns(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    add_storage(settings, "graft", tmp_path / "archives")
    folder = (tmp_path / "archives").resolve()
    assert messages_of(check_admin_storage()) == [
        (
            "graft.W031",
            "The archives the admin writes (password hashes and all) would land in the "
            f"storage 'graft', which looks served publicly: its folder {folder} is inside "
            "MEDIA_ROOT, which the web server serves.",
        )
    ]


def test_a_storage_inside_static_root_warns(settings: Any, tmp_path: Path) -> None:
    settings.STATIC_ROOT = str(tmp_path / "static")
    add_storage(settings, "graft", tmp_path / "static")
    (warning,) = check_admin_storage()
    assert warning.id == "graft.W031" and warning.msg.endswith(
        "is inside STATIC_ROOT, which the web server serves."
    )


def test_a_storage_given_a_base_url_warns(settings: Any, tmp_path: Path) -> None:
    add_storage(settings, "graft", tmp_path, base_url="/downloads/")
    (warning,) = check_admin_storage()
    assert warning.id == "graft.W031"
    assert warning.msg.endswith("served publicly: it is given the base URL '/downloads/'.")


def test_any_storage_with_a_base_url_warns(settings: Any) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "graft": {
            "BACKEND": "django.core.files.storage.InMemoryStorage",
            "OPTIONS": {"base_url": "/memory/"},
        },
    }
    (warning,) = check_admin_storage()
    assert warning.id == "graft.W031"
    assert warning.msg.endswith("served publicly: it has the base URL '/memory/'.")


@pytest.mark.parametrize(
    ("graft", "check_id", "text"),
    [
        ({"ADMIN_EXPORT_SECRETS": "yes"}, "graft.E030", "GRAFT['ADMIN_EXPORT_SECRETS'] must be"),
        ({"ADMIN_STORAGE": "vault"}, "graft.E031", "GRAFT['ADMIN_STORAGE'] names 'vault', which"),
        ({"UPLOAD_TTL": 0}, "graft.E032", "GRAFT['UPLOAD_TTL'] must be a positive integer"),
    ],
)
def test_each_new_setting_has_its_check(
    settings: Any, graft: dict[str, Any], check_id: str, text: str
) -> None:
    settings.GRAFT = graft
    (error,) = check_settings()
    assert error.id == check_id and error.msg.startswith(text), error.msg
    assert check_admin_storage() == []  # the setting is reported once, above


# -- who reads which archive ---------------------------------------------------


@pytest.fixture
def written_by_ada(world: World, private: Path) -> str:
    """A delete's archive written by ada, and one put in the storage by hand."""
    assert delete_with_archive(login("ada"), world).status_code == 302
    (archive,) = (private / "graft").iterdir()
    (private / "graft" / "by-hand.jsonl").write_bytes(b"{}")
    return f"graft/{archive.name}"


def test_each_user_is_offered_only_what_they_wrote(written_by_ada: str) -> None:
    ada = Client()
    ada.force_login(User.objects.get(username="ada"))
    assert offered(ada) == [written_by_ada]
    assert offered(login("bob")) == []
    assert offered(login("boss", superuser=True)) == sorted([written_by_ada, "graft/by-hand.jsonl"])


def test_the_writer_can_review_it(written_by_ada: str) -> None:
    ada = Client()
    ada.force_login(User.objects.get(username="ada"))
    form = {"step": "upload", "stored": written_by_ada, "pks": "keep", "on_conflict": "fail"}
    assert 'id="graft-report"' in ada.post(PAGE, form).content.decode()


@pytest.mark.parametrize("step", ["recheck", "confirm"])
def test_another_user_cannot_pick_it(written_by_ada: str, step: str) -> None:
    bob = login("bob")
    before, logged = every_table(), GraftLog.objects.count()
    form = {"step": step, "name": written_by_ada, "pks": "keep", "on_conflict": "fail"}
    assert bob.post(PAGE, form).status_code == 403
    chosen = {"step": "upload", "stored": written_by_ada, "pks": "keep", "on_conflict": "fail"}
    page = bob.post(PAGE, chosen).content.decode()
    assert f"Select a valid choice. {written_by_ada} is not one of the available choices." in page
    assert 'id="graft-report"' not in page
    assert every_table() == before and GraftLog.objects.count() == logged


def test_an_archive_by_hand_is_for_superusers(written_by_ada: str) -> None:
    ada = Client()
    ada.force_login(User.objects.get(username="ada"))
    form = {"step": "recheck", "name": "graft/by-hand.jsonl", "pks": "keep", "on_conflict": "fail"}
    assert ada.post(PAGE, form).status_code == 403
    assert login("boss", superuser=True).post(PAGE, form).status_code == 200


def upload(client: Client) -> str:
    fixture = [{"model": "testapp.tag", "pk": 900, "fields": {"name": "violet"}}]
    form = {"step": "upload", "pks": "keep", "on_conflict": "fail"}
    data = SimpleUploadedFile("tags.json", json.dumps(fixture).encode())
    page = client.post(PAGE, {**form, "archive": data}).content.decode()
    names: list[str] = re.findall(r'<input type="hidden" name="name" value="([^"]+)"', page)
    return names[0]


def test_an_upload_is_its_uploaders(world: World, private: Path, settings: Any) -> None:
    # A fixture needs a superuser while that is on; here only the upload's owner counts.
    settings.GRAFT = {**getattr(settings, "GRAFT", {}), "ADMIN_IMPORT_REQUIRE_SIGNED": False}
    ada, bob, boss = login("ada"), login("bob"), login("boss", superuser=True)
    name = upload(ada)
    assert re.fullmatch(rf"graft/uploads/[0-9a-f]{{32}}-u{ada_pk()}-tags\.json", name), name
    form = {"step": "recheck", "name": name, "pks": "keep", "on_conflict": "fail"}
    before, logged = every_table(), GraftLog.objects.count()
    assert bob.post(PAGE, form).status_code == 403
    assert bob.post(PAGE, {**form, "step": "confirm"}).status_code == 403
    assert every_table() == before and GraftLog.objects.count() == logged
    assert not m.Tag.objects.filter(pk=900).exists()
    assert 'id="graft-report"' in ada.post(PAGE, form).content.decode()
    assert 'id="graft-report"' in boss.post(PAGE, form).content.decode()


def ada_pk() -> int:
    return int(User.objects.get(username="ada").pk)
