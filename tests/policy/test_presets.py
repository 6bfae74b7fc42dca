"""The GDPR preset keeps password hashes out of archives; errors keep secrets out of messages."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from django_graft import export
from django_graft.archive.reader import read_archive
from django_graft.exceptions import GraftError
from django_graft.policy.presets import gdpr
from tests.conftest import s3_options

pytestmark = pytest.mark.django_db


def test_passwords_never_leave_with_the_gdpr_preset(settings: Any) -> None:
    user = User.objects.create_user("ada", email="ada@example.com", password="s3cret-pass")
    buffer = io.BytesIO()
    export(user, buffer, policy=gdpr(mask={"auth.User.email": lambda email: "hidden"}))
    records = read_archive(io.BytesIO(buffer.getvalue()), keep_records=True).records
    (ada,) = [r for r in records if r.get("model") == "auth.user"]
    assert "password" not in ada["fields"] and ada["fields"]["email"] == "hidden"
    assert b"pbkdf2" not in buffer.getvalue() and user.password.encode() not in buffer.getvalue()
    # As the project's default policy, by dotted path: today's and the one
    # settings written for earlier versions name.
    for path in ("django_graft.policy.presets.gdpr", "django_graft.policies.gdpr"):
        settings.GRAFT = {"POLICY": path}
        fixture = io.BytesIO()
        export(user, fixture, format="json")
        assert b"password" not in fixture.getvalue()


def test_storage_errors_do_not_echo_secrets(settings: Any, tmp_path: Any) -> None:
    secret = "AKIA-SUPER-SECRET-KEY-123"
    options = s3_options("http://127.0.0.1:9", secret=secret, key=secret, retries=1)
    settings.GRAFT = {
        "STORAGE_OPTIONS": {"s3": {**options, "config_kwargs": {"retries": {"max_attempts": 1}}}}
    }
    user = User.objects.create_user("ada")
    with pytest.raises(GraftError) as info:
        export(user, "s3://bucket/a.jsonl")
    assert secret not in str(info.value)
    with pytest.raises(CommandError) as command:
        call_command("graft_import", "s3://bucket/a.jsonl", stdout=io.StringIO())
    assert secret not in str(command.value)
