"""Read the code examples of the docs and the README, and run them on the example project.

A ``sh`` block is a list of commands: each ``python manage.py ...`` runs,
in a workspace of its own, against a copy of the example project's seeded
databases; ``bash scripts/demo.sh`` runs the demo's own ``manage.py``
commands there. A few commands cannot run inside the suite (installing,
the test command itself, a server); they are named in ``NOT_RUN`` with the
reason, and any other command fails the test, so no example escapes. A
command whose comment starts with ``# refused`` is shown failing: it must
exit with Django's ``CommandError``, and the page says why.

An ``output`` block shows what the block above it printed: each of its
lines must be printed, in order (``…`` stands for text that varies).

A ``python`` block runs in ``manage.py shell -c``, on the same workspace,
after the blocks and commands above it on its page. A block whose first
line names a file (``# settings.py``, ``# admin.py``) is a fragment of that
file: settings are run as plain Python; an admin module runs with the
example's model admins unregistered first, as a project's own admin.py
would find them.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
EXAMPLE = ROOT / "example"
MANAGE = EXAMPLE / "manage.py"

#: Commands of the examples that the suite does not run, and why.
NOT_RUN = {
    "pip install": "installs from the package index",
    "bash scripts/test.sh": "the test command, which runs this",
    "bash bench/run.sh": "the benchmark: minutes of work, run on its own",
    "cd example": "the examples run in a workspace of their own",
    "source ../.venv/bin/activate": "the tests run in the environment they were started in",
    "python manage.py runserver": "a server that does not return",
    "../.venv/bin/python manage.py runserver": "a server that does not return",
    ".venv/bin/nox": "the whole matrix of Pythons and Djangos",
    "mkdocs build": "the test command builds the site",
}
PYTHONS = ("python", "../.venv/bin/python", ".venv/bin/python")
#: How the demo script calls the example's manage.py.
DEMO_PYTHON = "$python manage.py"

FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.M | re.S)


@dataclass(frozen=True)
class Block:
    language: str
    code: str
    line: int


def pages() -> list[Path]:
    return [*sorted(DOCS.rglob("*.md")), ROOT / "README.md"]


def blocks(page: Path) -> list[Block]:
    text = page.read_text()
    return [
        Block(match.group(1), match.group(2), text.count("\n", 0, match.start()) + 1)
        for match in FENCE.finditer(text)
        if match.group(1) in {"sh", "python", "output"}
    ]


#: A command whose comment starts so is shown failing: its page says why.
REFUSED = "# refused"


@dataclass(frozen=True)
class Command:
    words: list[str]
    #: Whether the page shows it refused (a non-zero exit, with Django's CommandError).
    refused: bool = False


def commands(script: str) -> Iterator[Command]:
    """The commands of a shell block: lines joined at a trailing backslash, comments dropped."""
    for line in script.replace("\\\n", " ").splitlines():
        words = shlex.split(line, comments=True)
        if words:
            yield Command(words, refused=REFUSED in line)


def shows(expected: str, printed: str) -> str | None:
    """The first line of ``expected`` that ``printed`` does not show, in order; None if all are.

    Spaces are compared as one; ``…`` stands for any text within a line (a
    hash, a time), and a line of ``…`` alone for any lines.
    """
    lines = iter(" ".join(line.split()) for line in printed.splitlines())
    for want in expected.splitlines():
        want = " ".join(want.split())
        if want in ("", "…"):
            continue
        pattern = ".*".join(re.escape(part) for part in want.split("…"))
        if not any(re.fullmatch(pattern, line) for line in lines):
            return want
    return None


def not_run(words: list[str]) -> str | None:
    """Why the suite does not run this command, or None when it does."""
    text = " ".join(words)
    for prefix, reason in NOT_RUN.items():
        if text == prefix or text.startswith(prefix + " "):
            return reason
    return None


def demo_commands() -> Iterator[Command]:
    """The ``manage.py`` commands scripts/demo.sh runs, in order."""
    script = (ROOT / "scripts" / "demo.sh").read_text()
    for command in commands(script):
        if " ".join(command.words[:2]) == DEMO_PYTHON:
            yield Command(["python", *command.words[1:]])


class Workspace:
    """A folder holding the example's two databases, its media and the files examples write."""

    def __init__(self, path: Path, seeded: Path | None = None) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        if seeded is not None:
            for item in seeded.iterdir():
                copy = shutil.copytree if item.is_dir() else shutil.copy2
                copy(item, path / item.name)

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "GRAFT_EXAMPLE_DB": "sqlite",
            "GRAFT_EXAMPLE_SQLITE": str(self.path / "db.sqlite3"),
            "GRAFT_EXAMPLE_COPY_SQLITE": str(self.path / "copy.sqlite3"),
            "GRAFT_EXAMPLE_MEDIA": str(self.path / "media"),
            "GRAFT_EXAMPLE_ARCHIVES": str(self.path / "archives"),
            "DJANGO_SETTINGS_MODULE": "exampleproject.settings",
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(EXAMPLE), os.environ.get("PYTHONPATH")])
            ),
            "PYTHONUNBUFFERED": "1",
        }

    def manage(self, *args: str, refused: bool = False) -> str:
        """Run the example's manage.py here; an outcome other than the one expected raises.

        A command expected to be refused must exit with Django's ``CommandError``
        (status 1, a message, no traceback).
        """
        done = subprocess.run(
            [sys.executable, str(MANAGE), *args],
            cwd=self.path,
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if refused:
            if done.returncode != 1 or not done.stderr.startswith("CommandError: "):
                raise AssertionError(
                    f"manage.py {shlex.join(args)} was to be refused with a CommandError, "
                    f"and exited with {done.returncode}:\n{done.stdout}\n{done.stderr}"
                )
        elif done.returncode != 0:
            raise AssertionError(
                f"manage.py {shlex.join(args)} exited with {done.returncode}:\n"
                f"{done.stdout}\n{done.stderr}"
            )
        return done.stdout + done.stderr

    def run_command(self, command: Command) -> str:
        words = command.words
        if words[0] not in PYTHONS or words[1:2] != ["manage.py"]:
            raise AssertionError(
                f"The example runs {shlex.join(words)!r}, which the docs' tests cannot: "
                "write it as 'python manage.py ...', or name it in NOT_RUN with the reason."
            )
        return self.manage(*words[2:], refused=command.refused)

    def run_python(self, code: str) -> str:
        first = code.splitlines()[0] if code.strip() else ""
        if first.startswith("# settings.py"):
            exec(compile(code, "settings.py", "exec"), {})  # plain Python, no Django
            return ""
        if first.startswith("# admin.py"):
            code = (
                "from django.apps import apps\n"
                "from django.contrib import admin\n"
                "for model in apps.get_app_config('tenants').get_models():\n"
                "    if admin.site.is_registered(model):\n"
                "        admin.site.unregister(model)\n" + code
            )
        return self.manage("shell", "--no-startup", "-c", code)

    def run_block(self, block: Block) -> str:
        if block.language == "python":
            return self.run_python(block.code)
        printed = []
        for command in commands(block.code):
            if not_run(command.words):
                continue
            if command.words == ["bash", "scripts/demo.sh"]:
                printed += [self.run_command(demo) for demo in demo_commands()]
            else:
                printed.append(self.run_command(command))
        return "".join(printed)


def seed(path: Path) -> Path:
    """The example's databases, migrated and seeded as the demo seeds them."""
    workspace = Workspace(path)
    workspace.manage("migrate", "--verbosity", "0")
    workspace.manage("migrate", "--verbosity", "0", "--database", "copy")
    workspace.manage("seed_demo")
    return path
