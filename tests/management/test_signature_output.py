"""graft_import's report says, on a line of its own, who signed what it imported."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from django_graft import export
from tests.archive.signatures import signature_of, with_trailer
from tests.testapp.world import World

pytestmark = pytest.mark.django_db(databases=["default", "other"])


def _foreign(trailer: dict[str, Any]) -> None:
    trailer["signature"] = signature_of(trailer["sha256"], "another installation")


def imported(path: Path, *options: str) -> list[str]:
    out = io.StringIO()
    call_command("graft_import", str(path), "--database", "other", *options, stdout=out)
    return out.getvalue().splitlines()


@pytest.mark.parametrize("options", [(), ("--dry-run",)], ids=["import", "dry run"])
def test_a_signed_archive(world: World, tmp_path: Path, options: tuple[str, ...]) -> None:
    path = tmp_path / "org.jsonl"
    export(world.org, path)
    lines = imported(path, *options)
    assert lines.count("Signature: Signed by this installation.") == 1
    assert lines[-1].startswith(("Imported into 'other'", "Would import into 'other'"))


def test_an_archive_signed_elsewhere(world: World, tmp_path: Path) -> None:
    path = tmp_path / "org.jsonl"
    export(world.org, path)
    path.write_bytes(with_trailer(path.read_bytes(), _foreign))
    assert (
        "Signature: Not signed by this installation: the signature was made with another key "
        "(another installation's, or one retired here), or was altered."
    ) in imported(path, "--dry-run")


def test_a_fixture(world: World, tmp_path: Path) -> None:
    path = tmp_path / "org.yaml"
    export(world.org, path, format="yaml")
    lines = imported(path)
    assert "Signature: Not signed: a Django yaml fixture carries no signature." in lines
