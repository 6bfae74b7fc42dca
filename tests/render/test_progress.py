"""Progress on standard error: a bar on a terminal only, stage totals at verbosity 3."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from django_graft.render import progress
from tests.testapp.world import World

pytestmark = pytest.mark.django_db(databases=["default", "other"])


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def export(world: World, tmp_path: Path, *options: str, stderr: io.StringIO) -> str:
    out = io.StringIO()
    spec = f"testapp.Organisation:{world.org.pk}"
    call_command(
        "graft_export", spec, "-o", str(tmp_path / "o.jsonl"), *options, stdout=out, stderr=stderr
    )
    return out.getvalue()


def test_a_terminal_gets_a_bar_that_is_cleared(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(progress.Progress, "interval", 0.0)
    terminal = Terminal()
    export(world, tmp_path, stderr=terminal)
    drawn = terminal.getvalue()
    assert "\rcollecting: " in drawn
    assert "\rwriting [" in drawn and " rows (" in drawn
    assert drawn.endswith("\r")  # the last line was wiped, leaving the terminal clean


@pytest.mark.parametrize("options", [(), ("--no-progress",)])
def test_no_bar_off_a_terminal_or_when_asked(
    world: World, tmp_path: Path, options: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    stderr = Terminal() if options else io.StringIO()
    export(world, tmp_path, *options, stderr=stderr)
    assert stderr.getvalue() == ""


def test_setting_turns_bars_off(world: World, tmp_path: Path, settings: Any) -> None:
    settings.GRAFT = {"PROGRESS": False}
    stderr = Terminal()
    export(world, tmp_path, stderr=stderr)
    assert stderr.getvalue() == ""


def test_verbosity_3_prints_each_stage(world: World, tmp_path: Path) -> None:
    stderr = io.StringIO()
    export(world, tmp_path, "-v", "3", stderr=stderr)
    stages = [line.split(":")[0] for line in stderr.getvalue().splitlines()]
    assert stages == ["collecting", "writing"]
    stderr = io.StringIO()
    call_command(
        "graft_import", str(tmp_path / "o.jsonl"), "--database", "other", "-v", "3",
        stdout=io.StringIO(), stderr=stderr,
    )  # fmt: skip
    stages = [line.split(":")[0] for line in stderr.getvalue().splitlines()]
    assert stages == ["reading", "importing"]


def test_verbosity_0_is_silent(world: World, tmp_path: Path) -> None:
    stderr = Terminal()
    assert export(world, tmp_path, "-v", "0", stderr=stderr) == ""
    assert stderr.getvalue() == ""


def test_nothing_watches_outside_a_command() -> None:
    progress.stage("writing", 10)
    progress.advance(5)  # no error, no output
