"""Link records are applied only from archives this installation signed."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from django_graft import UntrustedArchive, delete, export, import_archive
from django_graft.archive.signing import Signature
from tests.archive.signatures import signature_of, with_trailer
from tests.snapshots import every_table
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db(databases=["default", "other"])

FIX = (
    "Link records are applied only from archives this installation signed. Nothing was "
    "written. If you trust where the archive came from, import it with graft_import "
    "--trust-unsigned (trust_unsigned=True in Python)."
)
CARRIES = (
    "The archive carries link records (testapp.audit 1, testapp.task 2), which change rows "
    "outside it, and"
)
REFUSED = {
    "unsigned": f"{CARRIES} is not signed. {FIX}",
    "foreign": f"{CARRIES} is signed with a key this installation does not hold, or its "
    f"signature was altered. {FIX}",
}


def _unsigned(trailer: dict[str, Any]) -> None:
    del trailer["signature"]


def _foreign(trailer: dict[str, Any]) -> None:
    trailer["signature"] = signature_of(trailer["sha256"], "another installation")


UNTRUSTED = {"unsigned": _unsigned, "foreign": _foreign}


RELINKED = {"testapp.audit": 1, "testapp.task": 2}


def deleted_project(world: World, tmp_path: Path, kind: str) -> tuple[Path, m.Audit, Any]:
    """A delete's archive, with link records, made ``kind``; and every table before it."""
    audit = m.Audit.objects.get()
    assert audit.project == world.projects[0]
    original = every_table()
    path = tmp_path / "deleted.jsonl"
    delete(world.projects[0], archive=path)
    path.write_bytes(with_trailer(path.read_bytes(), UNTRUSTED[kind]))
    return path, audit, original


@pytest.mark.parametrize("kind", UNTRUSTED)
@pytest.mark.parametrize(
    "options",
    [{}, {"dry_run": True}, {"pks": "remap"}, {"on_conflict": "update"}],
    ids=["keep", "dry run", "remap", "update"],
)
def test_untrusted_link_records_are_refused(
    world: World, tmp_path: Path, kind: str, options: dict[str, Any]
) -> None:
    path, audit, _ = deleted_project(world, tmp_path, kind)
    before = every_table()
    with pytest.raises(UntrustedArchive) as info:
        import_archive(path, **options)
    assert info.value.message == REFUSED[kind]
    assert info.value.signature == kind
    assert every_table() == before
    audit.refresh_from_db()
    assert audit.project_id is None


@pytest.mark.parametrize("kind", UNTRUSTED)
def test_trust_unsigned_applies_them(world: World, tmp_path: Path, kind: str) -> None:
    path, _, original = deleted_project(world, tmp_path, kind)
    result = import_archive(path, trust_unsigned=True)
    assert result.signature == Signature(kind) and not result.signed
    assert result.relinked == RELINKED
    assert every_table() == original


def test_a_signed_archive_needs_no_trust(world: World, tmp_path: Path) -> None:
    original = every_table()
    path = tmp_path / "deleted.jsonl"
    delete(world.projects[0], archive=path)
    result = import_archive(path)
    assert result.signed and result.relinked == RELINKED
    assert every_table() == original


def test_the_command_refuses_them_and_trusts_on_request(world: World, tmp_path: Path) -> None:
    path, _, original = deleted_project(world, tmp_path, "unsigned")
    before = every_table()
    with pytest.raises(CommandError) as info:
        call_command("graft_import", str(path), stdout=io.StringIO())
    assert str(info.value) == REFUSED["unsigned"]
    assert every_table() == before
    out = io.StringIO()
    call_command("graft_import", str(path), "--dry-run", "--trust-unsigned", stdout=out)
    assert every_table() == before
    lines = out.getvalue().splitlines()
    assert (
        "Would put back the links of rows outside the archive: testapp.audit 1, testapp.task 2."
        in lines
    )
    assert (
        "Signature: Not signed: written before archives were signed, or not by django-graft."
        in lines
    )
    call_command("graft_import", str(path), "--trust-unsigned", stdout=out)
    assert every_table() == original


def test_a_fixture_is_reported_unsigned(world: World, tmp_path: Path) -> None:
    path = tmp_path / "org.json"
    export(world.org, path, format="json")
    result = import_archive(path, using="other")
    assert (result.signature, result.fixture, result.signed) == (Signature.UNSIGNED, "json", False)
    assert result.signature_text == "Not signed: a Django json fixture carries no signature."


def _untrusted_inputs(world: World, tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """An archive of each state but signed, and a fixture; with the sentence each gets."""
    signed = tmp_path / "org.jsonl"
    export(world.org, signed)
    found = {}
    for kind, change in UNTRUSTED.items():
        path = tmp_path / f"{kind}.jsonl"
        path.write_bytes(with_trailer(signed.read_bytes(), change))
        found[kind] = (path, "archive")
    fixture = tmp_path / "org.json"
    export(world.org, fixture, format="json")
    found["fixture"] = (fixture, "fixture")
    return found


STATES = {
    "unsigned": "Not signed: written before archives were signed, or not by django-graft.",
    "foreign": "Not signed by this installation: the signature was made with another key "
    "(another installation's, or one retired here), or was altered.",
    "fixture": "Not signed: a Django json fixture carries no signature.",
}


def test_require_signed_refuses_everything_not_signed_here(world: World, tmp_path: Path) -> None:
    inputs = _untrusted_inputs(world, tmp_path)
    before = every_table("other")
    for kind, (path, what) in inputs.items():
        for dry_run in (True, False):
            with pytest.raises(UntrustedArchive) as info:
                import_archive(path, using="other", require_signed=True, dry_run=dry_run)
            assert info.value.message == (
                f"Only an archive this installation signed may be imported here. {STATES[kind]} "
                f"Nothing was written. A superuser can import this {what}, or graft_import on "
                "the command line."
            )
            assert every_table("other") == before
    result = import_archive(tmp_path / "org.jsonl", using="other", require_signed=True)
    assert result.signed
    assert m.Organisation.objects.using("other").filter(name="Acme").exists()
