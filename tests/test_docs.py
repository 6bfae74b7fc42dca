"""The reference pages name every command option, setting and check id."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import django
import pytest
from django.core.management import get_commands, load_command_class
from django.core.management.base import BaseCommand

from django_graft.checks import CHECK_IDS
from django_graft.conf import SETTINGS

DOCS = Path(__file__).resolve().parents[1] / "docs"
COMMANDS = sorted(name for name, app in get_commands().items() if app == "django_graft")
#: Options every Django command has, documented by Django.
DJANGO_OPTIONS = {
    option
    for action in BaseCommand().create_parser("manage.py", "x")._actions
    for option in action.option_strings
} - {"--no-progress"}


def section(page: str, heading: str) -> str:
    """The text of ``heading``'s section of a docs page, up to the next heading of its level."""
    text = (DOCS / page).read_text()
    level = heading.split(" ")[0]
    match = re.search(rf"^{re.escape(heading)}\n(.*?)(?=^{level} |\Z)", text, re.M | re.S)
    assert match, f"{page} has no section '{heading}'"
    return match.group(1)


def test_the_commands_are_the_ones_documented() -> None:
    documented = re.findall(r"^## (graft_\w+)$", (DOCS / "reference/commands.md").read_text(), re.M)
    assert sorted(documented) == COMMANDS


@pytest.mark.parametrize("name", COMMANDS)
def test_every_option_is_documented(name: str) -> None:
    command = load_command_class("django_graft", name)
    parser = command.create_parser("manage.py", name)
    text = section("reference/commands.md", f"## {name}")
    shared = (DOCS / "reference/commands.md").read_text().split("\n## ", 1)[0]
    for action in parser._actions:
        for option in action.option_strings:
            if option in DJANGO_OPTIONS:
                continue
            assert f"`{option}" in text or f"`{option}" in shared, f"{name} {option}"
            for choice in action.choices or ():
                assert str(choice) in text, f"{name} {option} {choice}"


@pytest.mark.parametrize("name", list(SETTINGS))
def test_every_setting_is_documented(name: str) -> None:
    text = section("reference/settings.md", f"### `{name}`")
    setting = SETTINGS[name]
    default = repr(setting.default).replace("'", '"')
    assert f"Default `{default}`" in text, name
    assert f"Check `{setting.check_id}`" in text, name


@pytest.mark.parametrize("check_id", list(CHECK_IDS))
def test_every_check_is_documented(check_id: str) -> None:
    assert f"| `{check_id}` |" in (DOCS / "reference/checks.md").read_text()


def test_every_page_is_linked_from_the_index() -> None:
    index = (DOCS / "README.md").read_text()
    for page in DOCS.rglob("*.md"):
        if page.name != "README.md":
            assert f"({page.relative_to(DOCS)})" in index, page


def _errors() -> list[type[Exception]]:
    from django_graft import exceptions

    return [
        value
        for value in vars(exceptions).values()
        if isinstance(value, type) and issubclass(value, exceptions.GraftError)
    ]


@pytest.mark.parametrize("error", _errors(), ids=lambda error: error.__name__)
def test_every_error_and_its_code_are_documented(error: type[Exception]) -> None:
    import django_graft

    code = error.code  # type: ignore[attr-defined]
    rows = (DOCS / "reference" / "errors.md").read_text()
    assert f"| `{error.__name__}` | `{code}` |" in rows
    assert getattr(django_graft, error.__name__) is error  # importable from the package


def test_error_codes_are_unique() -> None:
    codes = [error.code for error in _errors()]  # type: ignore[attr-defined]
    assert len(codes) == len(set(codes))


def _python_blocks() -> list[Any]:
    """Every Python example of the docs and the README, named ``page:line``."""
    pages = [*sorted(DOCS.rglob("*.md")), DOCS.parent / "README.md"]
    found = []
    for page in pages:
        text = page.read_text()
        for match in re.finditer(r"^```python\n(.*?)^```", text, re.M | re.S):
            where = f"{page.relative_to(DOCS.parent)}:{text.count(chr(10), 0, match.start()) + 1}"
            found.append(pytest.param(where, match.group(1), id=where))
    return found


@pytest.mark.parametrize(("where", "code"), _python_blocks())
def test_every_python_example_is_python(where: str, code: str) -> None:
    compile(code, where, "exec")


def _format_examples() -> list[dict[str, Any]]:
    """The JSON examples of the archive format's page, parsed (``...`` stands for more)."""
    text = (DOCS / "archive-format.md").read_text()
    examples = []
    for block in re.findall(r"^```json\n(.*?)^```", text, re.M | re.S):
        for line in re.split(r"\n(?=\{)", block.strip()):
            cleaned = re.sub(r",\s*\.\.\.", "", line).replace("{...}", "{}")
            examples.append(json.loads(cleaned))
    return examples


def _kind(record: dict[str, Any]) -> str:
    for key in ("format", "ref", "model", "link", "end"):
        if key in record:
            return key
    return "schema"


@pytest.mark.django_db
def test_the_archive_format_examples_are_what_an_export_writes(world: Any, tmp_path: Path) -> None:
    """Each example record has the keys real records of its kind have, and no other."""
    from django_graft import Policy, delete, export

    # References by natural key (content types) and by declared match fields.
    policy = Policy(reference=["testapp.Country"], match={"testapp.Country": ["code"]})
    export(world.org, tmp_path / "org.jsonl", policy=policy)
    delete(world.extra["fr"], archive=tmp_path / "fr.jsonl")  # link records
    real: dict[str, set[str]] = {}
    for name in ("org.jsonl", "fr.jsonl"):
        lines = [json.loads(line) for line in (tmp_path / name).read_bytes().splitlines()]
        for record in lines:
            real.setdefault(_kind(record), set()).update(record)
        for schema in lines[0]["models"].values():
            real.setdefault("schema", set()).update(schema)
    if django.VERSION < (5, 2):  # no composite primary keys: no model entry names its parts
        real["schema"].add("pk")
    examples = _format_examples()
    assert {_kind(example) for example in examples} == set(real)
    for example in examples:
        kind = _kind(example)
        assert set(example) <= real[kind], f"{kind}: {set(example) - real[kind]}"
        if kind == "format":
            assert (example["format"], example["version"]) == ("django-graft", 1)
