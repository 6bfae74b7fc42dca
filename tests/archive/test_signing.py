"""Archives are signed by the installation that writes them; readers tell whose they are."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.test import override_settings

from django_graft import ArchiveError, delete, export, import_archive
from django_graft.archive.reader import read_archive
from django_graft.archive.signing import Signature
from django_graft.checks import check_settings
from tests.archive.signatures import signature_of, trailer_of, with_trailer
from tests.importer.tables import archive_of
from tests.snapshots import every_table
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db(databases=["default", "other"])

SIGNED = "Signature: Signed by this installation."
FOREIGN = (
    "Signature: Not signed by this installation: the signature was made with another key "
    "(another installation's, or one retired here), or was altered."
)
UNSIGNED = "Signature: Not signed: written before archives were signed, or not by django-graft."


def state(data: bytes) -> Signature:
    return read_archive(io.BytesIO(data)).signature_state


def test_an_export_is_signed_with_the_secret_key(world: World) -> None:
    data = archive_of(world.org)
    trailer = trailer_of(data)
    assert trailer["signature"] == signature_of(trailer["sha256"], "graft-tests-only")
    assert state(data) is Signature.SIGNED


def test_the_sha256_does_not_cover_the_signature(world: World) -> None:
    import hashlib

    data = archive_of(world.org)
    body = data.rstrip(b"\n").rpartition(b"\n")[0] + b"\n"
    assert trailer_of(data)["sha256"] == hashlib.sha256(body).hexdigest()


def test_a_signed_archive_imports_and_says_so(world: World) -> None:
    data = archive_of(world.org)
    result = import_archive(io.BytesIO(data), using="other")
    assert result.signed and result.signature is Signature.SIGNED
    assert result.signature_text == SIGNED.removeprefix("Signature: ")
    assert m.Organisation.objects.using("other").filter(name="Acme").exists()


def test_a_delete_signs_its_archive(world: World, tmp_path: Any) -> None:
    path = tmp_path / "deleted.jsonl"
    delete(world.projects[0], archive=path)
    trailer = trailer_of(path.read_bytes())
    assert trailer["links"] and trailer["signature"] == signature_of(trailer["sha256"])


def _flip_last_digit(trailer: dict[str, Any]) -> None:
    value = trailer["signature"]
    trailer["signature"] = value[:-1] + ("0" if value[-1] != "0" else "1")


def _another_key(trailer: dict[str, Any]) -> None:
    trailer["signature"] = signature_of(trailer["sha256"], "another installation")


def _another_algorithm(trailer: dict[str, Any]) -> None:
    trailer["signature"] = trailer["signature"].replace("hmac-sha256:", "hmac-sha512:")


def _not_a_string(trailer: dict[str, Any]) -> None:
    trailer["signature"] = {"hmac-sha256": trailer["signature"]}


def _another_archive(trailer: dict[str, Any]) -> None:
    trailer["signature"] = signature_of("0" * 64)


def _removed(trailer: dict[str, Any]) -> None:
    del trailer["signature"]


def _null(trailer: dict[str, Any]) -> None:
    trailer["signature"] = None


CHANGES: list[tuple[Callable[[dict[str, Any]], None], Signature]] = [
    (_flip_last_digit, Signature.FOREIGN),
    (_another_key, Signature.FOREIGN),
    (_another_algorithm, Signature.FOREIGN),
    (_not_a_string, Signature.FOREIGN),
    (_another_archive, Signature.FOREIGN),
    (_removed, Signature.UNSIGNED),
    (_null, Signature.UNSIGNED),
]


@pytest.mark.parametrize(("change", "expected"), CHANGES, ids=[c.__name__[1:] for c, _ in CHANGES])
def test_a_changed_signature_is_not_this_installations(
    world: World, change: Callable[[dict[str, Any]], None], expected: Signature
) -> None:
    data = with_trailer(archive_of(world.org), change)
    assert state(data) is expected
    # The rest of the archive still verifies, and (without link records) imports.
    result = import_archive(io.BytesIO(data), using="other")
    assert result.signature is expected and not result.signed
    assert m.Organisation.objects.using("other").filter(name="Acme").exists()


def test_signing_key_signs_and_its_fallbacks_are_accepted(world: World, settings: Any) -> None:
    settings.GRAFT = {"SIGNING_KEY": "old signing key"}
    old = archive_of(world.org)
    assert trailer_of(old)["signature"] == signature_of(
        trailer_of(old)["sha256"], "old signing key"
    )
    settings.GRAFT = {
        "SIGNING_KEY": b"new signing key",
        "SIGNING_KEY_FALLBACKS": ["old signing key"],
    }
    new = archive_of(world.org)
    assert trailer_of(new)["signature"] == signature_of(
        trailer_of(new)["sha256"], b"new signing key"
    )
    assert state(old) is Signature.SIGNED and state(new) is Signature.SIGNED
    settings.GRAFT = {"SIGNING_KEY": b"new signing key"}
    assert state(old) is Signature.FOREIGN  # retired
    # An archive signed with SECRET_KEY is another key's once SIGNING_KEY is set ...
    settings.GRAFT = {}
    by_secret_key = archive_of(world.org)
    settings.GRAFT = {"SIGNING_KEY": "new signing key"}
    assert state(by_secret_key) is Signature.FOREIGN
    # ... until SECRET_KEY is among the fallbacks.
    settings.GRAFT = {
        "SIGNING_KEY": "new signing key",
        "SIGNING_KEY_FALLBACKS": ["graft-tests-only"],
    }
    assert state(by_secret_key) is Signature.SIGNED


def test_secret_key_rotation_through_secret_key_fallbacks(world: World) -> None:
    data = archive_of(world.org)
    with override_settings(SECRET_KEY="rotated", SECRET_KEY_FALLBACKS=["graft-tests-only"]):
        assert state(data) is Signature.SIGNED
        fresh = archive_of(world.org)
        assert trailer_of(fresh)["signature"] == signature_of(
            trailer_of(fresh)["sha256"], "rotated"
        )
        # SECRET_KEY_FALLBACKS count only while SIGNING_KEY is None.
        with override_settings(GRAFT={"SIGNING_KEY": "rotated"}):
            assert state(data) is Signature.FOREIGN
    with override_settings(SECRET_KEY="rotated"):
        assert state(data) is Signature.FOREIGN


def test_an_empty_secret_key_is_a_named_error(world: World) -> None:
    with override_settings(SECRET_KEY=""), pytest.raises(ArchiveError) as info:
        export(world.org, io.BytesIO())
    assert info.value.message == (
        "Archives are signed with SECRET_KEY, which is empty. Set SECRET_KEY, or "
        "GRAFT['SIGNING_KEY']."
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SIGNING_KEY", "", "GRAFT['SIGNING_KEY'] must not be empty (None signs with SECRET_KEY)."),
        ("SIGNING_KEY", 42, "GRAFT['SIGNING_KEY'] must be None or a string (or bytes), not int."),
        (
            "SIGNING_KEY_FALLBACKS",
            "a secret",
            "GRAFT['SIGNING_KEY_FALLBACKS'] must be a list of non-empty strings (or bytes).",
        ),
        (
            "SIGNING_KEY_FALLBACKS",
            ["a secret", ""],
            "GRAFT['SIGNING_KEY_FALLBACKS'] must be a list of non-empty strings (or bytes).",
        ),
        (
            "ADMIN_IMPORT_REQUIRE_SIGNED",
            "yes",
            "GRAFT['ADMIN_IMPORT_REQUIRE_SIGNED'] must be True or False, not 'yes'.",
        ),
    ],
)
def test_bad_signing_settings_are_reported(
    settings: Any, name: str, value: Any, message: str
) -> None:
    ids = {"SIGNING_KEY": "graft.E040", "SIGNING_KEY_FALLBACKS": "graft.E041"}
    settings.GRAFT = {name: value}
    (error,) = check_settings()
    assert (error.id, error.msg) == (ids.get(name, "graft.E042"), message)
    assert "a secret" not in error.msg  # a secret is never repeated


def test_good_signing_settings_pass(settings: Any) -> None:
    settings.GRAFT = {
        "SIGNING_KEY": b"\x00key",
        "SIGNING_KEY_FALLBACKS": ("old", b"older"),
        "ADMIN_IMPORT_REQUIRE_SIGNED": False,
    }
    assert check_settings() == []


def inspect(location: Any) -> list[str]:
    out = io.StringIO()
    call_command("graft_inspect", str(location), stdout=out)
    return out.getvalue().splitlines()


CASES = [(None, SIGNED), (_another_key, FOREIGN), (_flip_last_digit, FOREIGN), (_removed, UNSIGNED)]


@pytest.mark.parametrize(
    ("change", "line"), CASES, ids=["signed", "another key", "altered", "unsigned"]
)
def test_inspect_says_who_signed_the_archive(
    world: World, tmp_path: Any, change: Any, line: str
) -> None:
    data = archive_of(world.org)
    path = tmp_path / "org.jsonl"
    path.write_bytes(with_trailer(data, change) if change else data)
    before = every_table()
    out = inspect(path)
    assert out[0].startswith(f"{path}: django-graft archive v1, verified (sha256 ")
    assert out[2] == line
    assert every_table() == before


def test_inspect_says_a_fixture_is_not_signed(world: World, tmp_path: Any) -> None:
    path = tmp_path / "org.json"
    export(world.org, path, format="json")
    out = inspect(path)
    assert out[-1] == "Signature: Not signed: a Django json fixture carries no signature."
