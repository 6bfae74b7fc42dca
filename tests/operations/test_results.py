"""What the API returns reads as one short line in a shell, whatever the size of the tree."""

from __future__ import annotations

import io

import pytest

from django_graft import clone, collect, delete, export, import_archive
from tests.testapp.world import World

pytestmark = pytest.mark.django_db(databases=["default", "other"])


def test_every_result_is_one_short_line(world: World) -> None:
    buffer = io.BytesIO()
    exported = export(world.org, buffer)
    graph = collect(world.org)
    imported = import_archive(io.BytesIO(buffer.getvalue()), using="other", dry_run=True)
    cloned = clone(world.projects[0], dry_run=True)
    preview = delete(world.org, dry_run=True)
    shown = {type(r).__name__: repr(r) for r in (exported, graph, imported, cloned, preview)}
    assert shown["ExportResult"].startswith(f"<ExportResult {exported.total} rows and ")
    assert shown["Graph"].startswith("<Graph of 1 roots in 'default': ")
    assert shown["ImportResult"].startswith("<ImportResult dry run, into 'other' (keep keys): ")
    assert shown["CloneResult"].startswith("<CloneResult would create ")
    assert shown["DeleteResult"].startswith("<DeleteResult would delete ")
    for text in shown.values():
        assert "\n" not in text and len(text) < 160, text
