"""Exports made from the admin leave out password hashes and the policy's secret fields."""

from __future__ import annotations

import gzip
import io
import re
from pathlib import Path
from typing import Any

import django
import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from django_graft import Policy, export
from django_graft.policy.presets import gdpr
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db

USERS = "/admin/auth/user/"
ORGANISATIONS = "/admin/testapp/organisation/"
#: A password hash no one would find in an archive by chance.
HASH = "pbkdf2_sha256$1000000$pepper$Zm9yZ2V0LW1lLW5vdA-but-here-I-am="
MILESTONE = "the milestone whose title is a secret"


@pytest.fixture
def boss(db: None) -> Client:
    client = Client()
    user = User.objects.create_superuser("boss")
    user.password = HASH
    user.save()
    client.force_login(user)
    return client


def act(client: Client, changelist: str, action: str, pks: list[Any], **extra: str) -> Any:
    data = {"action": action, ACTION_CHECKBOX_NAME: [str(pk) for pk in pks], **extra}
    return client.post(changelist, data)


def downloaded(response: Any) -> bytes:
    assert response.status_code == 200, response.status_code
    data = b"".join(response.streaming_content)
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def export_users(client: Client, fmt: str = "graft") -> bytes:
    boss = User.objects.get(username="boss")
    return downloaded(act(client, USERS, "export_with_related", [boss.pk], post="yes", format=fmt))


@pytest.mark.urls("tests.admin.users_site")
@pytest.mark.parametrize("fmt", ["graft", "json", "jsonl", "xml", "yaml"])
def test_an_admin_export_carries_no_password_hash(boss: Client, fmt: str) -> None:
    data = export_users(boss, fmt)
    assert b"boss" in data  # the account is there
    assert HASH.encode() not in data and b"pbkdf2_sha256" not in data


@pytest.mark.urls("tests.admin.users_site")
def test_the_settings_can_let_hashes_through(boss: Client, settings: Any) -> None:
    settings.GRAFT = {"ADMIN_EXPORT_SECRETS": True}
    page = act(boss, USERS, "export_with_related", [User.objects.get().pk]).content.decode()
    assert 'id="graft-withheld"' not in page
    assert HASH.encode() in export_users(boss)


@pytest.mark.urls("tests.admin.users_site")
def test_the_preview_names_what_is_left_out(boss: Client) -> None:
    page = act(boss, USERS, "export_with_related", [User.objects.get().pk]).content.decode()
    (listed,) = re.findall(r'<ul id="graft-withheld">(.*?)</ul>', page, re.DOTALL)
    assert re.findall(r"<li>(.*?)</li>", listed) == ["auth.user.password"]
    assert 'GRAFT["ADMIN_EXPORT_SECRETS"] lets them through' in page


@pytest.mark.urls("tests.admin.users_site")
def test_a_field_the_policy_excludes_anyway_is_not_named(boss: Client, settings: Any) -> None:
    settings.GRAFT = {"POLICY": gdpr()}
    page = act(boss, USERS, "export_with_related", [User.objects.get().pk]).content.decode()
    assert 'id="graft-withheld"' not in page
    assert b"pbkdf2_sha256" not in export_users(boss)


@pytest.mark.urls("tests.admin.users_site")
def test_commands_and_the_python_api_export_everything(boss: Client, tmp_path: Path) -> None:
    user = User.objects.get()
    buffer = io.BytesIO()
    export(user, buffer)
    assert HASH.encode() in buffer.getvalue()
    call_command("graft_export", f"auth.User:{user.pk}", "-o", str(tmp_path / "u.jsonl"))
    assert HASH.encode() in (tmp_path / "u.jsonl").read_bytes()


def secret_milestone(world: World, settings: Any) -> None:
    first = m.Milestone.objects.filter(project=world.projects[0]).order_by("pk")[:1]
    assert m.Milestone.objects.filter(pk__in=list(first.values_list("pk", flat=True))).update(
        title=MILESTONE
    )
    settings.GRAFT = {"POLICY": Policy(secret_fields={"testapp.Milestone": ["title"]})}


def test_the_policy_marks_more_secrets(boss: Client, world: World, settings: Any) -> None:
    secret_milestone(world, settings)
    page = act(boss, ORGANISATIONS, "export_with_related", [world.org.pk]).content.decode()
    (listed,) = re.findall(r'<ul id="graft-withheld">(.*?)</ul>', page, re.DOTALL)
    assert re.findall(r"<li>(.*?)</li>", listed) == ["testapp.milestone.title"]
    data = downloaded(
        act(boss, ORGANISATIONS, "export_with_related", [world.org.pk], post="yes", format="graft")
    )
    assert b"testapp.milestone" in data and MILESTONE.encode() not in data
    buffer = io.BytesIO()
    export(world.org, buffer)  # the Python API: everything
    assert MILESTONE.encode() in buffer.getvalue()


def test_an_unknown_secret_field_is_refused_by_name() -> None:
    from django_graft.exceptions import PolicyError

    with pytest.raises(PolicyError) as info:
        Policy(secret_fields={"testapp.Milestone": ["token"]})
    assert info.value.message.startswith(
        "Unknown field 'token' on testapp.milestone: its fields are "
    )


@pytest.mark.skipif(django.VERSION < (6, 0), reason="django.tasks arrived in Django 6.0")
def test_a_background_export_leaves_them_out_too(
    boss: Client, world: World, settings: Any, tmp_path: Path
) -> None:
    secret_milestone(world, settings)
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.STORAGES = {
        **settings.STORAGES,
        "graft": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    settings.GRAFT = {**settings.GRAFT, "BACKGROUND_ROWS": 5}
    act(boss, ORGANISATIONS, "export_with_related", [world.org.pk], post="yes", format="graft")
    (written,) = (tmp_path / "graft" / "exports").iterdir()
    assert re.fullmatch(
        r"testapp-organisation-\d+-\d{8}-\d{6}-[0-9a-f]{32}\.jsonl\.gz", written.name
    ), written.name
    data = gzip.decompress(written.read_bytes())
    assert b"testapp.milestone" in data and MILESTONE.encode() not in data


@pytest.mark.urls("tests.admin.users_site")
@pytest.mark.django_db(databases=["default", "other"])
def test_an_admin_export_still_imports(boss: Client) -> None:
    from django_graft import import_archive

    report = import_archive(io.BytesIO(export_users(boss)), using="other")
    assert "auth.user.password was left out of the archive; it takes its default" in (
        report.warnings
    )
    imported = User.objects.using("other").get(username="boss")
    assert imported.password == "" and not imported.check_password("")  # cannot log in


@pytest.mark.urls("tests.admin.users_site")
@pytest.mark.django_db(databases=["default", "other"])
def test_an_admin_fixture_still_imports(boss: Client) -> None:
    from django_graft import import_archive

    import_archive(io.BytesIO(export_users(boss, "json")), using="other")
    assert User.objects.using("other").get(username="boss").password == ""
