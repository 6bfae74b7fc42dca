"""Every way in is checked: no input runs code, leaves its directory or shows a secret."""

from __future__ import annotations

import ast
import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from django_graft import import_archive
from django_graft.exceptions import ArchiveFormatError, DestinationError, GraftError
from django_graft.models import GraftLog
from django_graft.render.redact import MASK, redact
from django_graft.storage import open_for_write
from tests.importer.tables import archive_of, rewrite
from tests.settings import TEST_DB
from tests.snapshots import every_table
from tests.testapp import models as m
from tests.testapp.world import World

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "django_graft"

# -- no code from input ------------------------------------------------------

#: Modules that turn bytes into code or objects of any class.
UNSAFE_MODULES = {"pickle", "cPickle", "dill", "marshal", "shelve", "jsonpickle"}
UNSAFE_CALLS = {"eval", "exec", "__import__", "compile"}  # the builtins
#: Where a dotted path is imported: settings and command-line options only.
IMPORTERS_ALLOWED = {"policy/loading.py", "__init__.py"}


def test_no_module_unpickles_evaluates_or_imports_what_it_reads() -> None:
    found = []
    for path in PACKAGE.rglob("*.py"):
        where = path.relative_to(PACKAGE)
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            found += _unsafe(node, where)
    assert found == []


def _unsafe(node: ast.AST, where: Path) -> list[str]:
    if isinstance(node, ast.Import | ast.ImportFrom):
        names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
        return [f"{where}: imports {n}" for n in names if n.split(".")[0] in UNSAFE_MODULES]
    if not isinstance(node, ast.Call):
        return []
    if isinstance(node.func, ast.Name) and node.func.id in UNSAFE_CALLS:
        return [f"{where}:{node.lineno}: calls {node.func.id}"]
    name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
    if name in ("import_string", "import_module") and where.as_posix() not in IMPORTERS_ALLOWED:
        return [f"{where}:{node.lineno}: imports a dotted path"]
    # The loader given is a safe one: tests/fixtures/test_load.py feeds it
    # python tags.
    yaml_load = name == "load" and "yaml" in ast.unparse(node.func)
    if yaml_load and not any(k.arg == "Loader" for k in node.keywords):
        return [f"{where}:{node.lineno}: yaml.load without a safe Loader"]
    return []


# -- file names from an archive stay in their storage ------------------------

ESCAPING = ["../../etc/passwd", "/etc/passwd", "docs/../../../settings.py"]


def _document_file(name: str) -> Any:
    def change(header: Any, items: list[dict[str, Any]]) -> Any:
        for item in items:
            if item.get("model") == "testapp.document":
                item["fields"]["file"] = name
        return header, items

    return change


@pytest.mark.django_db(databases=["default", "other"])
@pytest.mark.parametrize("name", ESCAPING)
def test_a_file_name_that_leaves_the_storage_is_refused(
    world: World, tmp_path: Path, name: str
) -> None:
    archive = tmp_path / "crafted.jsonl"
    archive.write_bytes(rewrite(archive_of(world.org), _document_file(name)))
    before = every_table("other")
    with pytest.raises(CommandError, match=r"field 'file' names the file .*leaves the storage"):
        call_command("graft_import", str(archive), database="other", stdout=io.StringIO())
    with pytest.raises(ArchiveFormatError):
        import_archive(str(archive), using="other", pks="remap")
    assert every_table("other") == before


@pytest.mark.django_db(databases=["default", "other"])
def test_a_file_name_inside_the_storage_is_imported(world: World) -> None:
    data = rewrite(archive_of(world.org), _document_file("docs/2026/report.pdf"))
    import_archive(io.BytesIO(data), using="other")
    files = set(m.Document.objects.using("other").values_list("file", flat=True))
    assert files == {"docs/2026/report.pdf"}


def test_a_storage_name_cannot_be_absolute(settings: Any, tmp_path: Path) -> None:
    store, outside = tmp_path / "store", tmp_path / "outside.jsonl"
    settings.STORAGES = {
        **settings.STORAGES,
        "archives": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(store)},
        },
    }
    with pytest.raises(DestinationError), open_for_write(f"storage://archives/{outside}") as out:
        out.write(b"{}\n")
    assert not outside.exists()


# -- no secret in a message --------------------------------------------------


def test_messages_mask_the_secrets_of_the_settings(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.GRAFT = {"STORAGE_OPTIONS": {"s3": {"key": "AKIAEXAMPLE", "secret": "s3cr3t-value"}}}
    monkeypatch.setitem(settings.DATABASES["other"], "PASSWORD", "db-pa55word")
    text = "failed: s3cr3t-value, db-pa55word, AKIAEXAMPLE, graft-tests-only; bucket mine"
    assert redact(text) == f"failed: {MASK}, {MASK}, {MASK}, {MASK}; bucket mine"
    assert MASK in GraftError(f"the server said {settings.SECRET_KEY}").message


@pytest.mark.django_db
def test_the_command_and_the_audit_log_mask_them_too(world: World, settings: Any) -> None:
    settings.GRAFT = {"STORAGE_OPTIONS": {"s3": {"token": "tok-123456"}}}
    spec = f"testapp.Organisation:{world.org.pk}"
    with pytest.raises(CommandError) as caught:
        call_command("graft_export", spec, "-o", "storage://nowhere/tok-123456.jsonl")
    assert "storage://nowhere/" in str(caught.value) and "tok-123456" not in str(caught.value)
    logged = GraftLog.objects.get()
    assert logged.outcome == "failure" and "tok-123456" not in logged.message


BROKEN = {
    "sqlite": {"NAME": "/nonexistent/graft/db.sqlite3"},
    "postgres": {"HOST": "127.0.0.1", "PORT": "1", "NAME": "nowhere"},
    "mariadb": {"HOST": "127.0.0.1", "PORT": "1", "NAME": "nowhere"},
}
PASSWORD = "hunter2-graft-secret"


def test_a_database_that_cannot_be_reached_is_named_and_its_password_is_not() -> None:
    """Run as a user would: a message and exit status 1, no traceback, no password."""
    script = (
        "import sys, django, tests.settings as s\n"
        "s.DATABASES['broken'] = {**s.DATABASES['default'], **BROKEN, 'PASSWORD': PASSWORD}\n"
        "from django.core.management import execute_from_command_line\n"
        "execute_from_command_line(['graft', 'graft_export', 'testapp.Organisation:1',\n"
        "                           '-o', '-', '--database', 'broken'])\n"
    )
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "example")]),
    }
    run = subprocess.run(
        [sys.executable, "-c", f"BROKEN = {BROKEN[TEST_DB]!r}\nPASSWORD = {PASSWORD!r}\n{script}"],
        capture_output=True, text=True, cwd=ROOT, env=environment, timeout=120,
    )  # fmt: skip
    assert run.returncode == 1, run.stderr
    # (Whatever else is said: the audit log of this unmigrated database warns.)
    assert "CommandError: The database 'broken' failed:" in run.stderr, run.stderr
    assert "Traceback" not in run.stderr and PASSWORD not in run.stderr + run.stdout
