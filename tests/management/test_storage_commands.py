"""Every command's path argument takes S3, GCS and Azure URLs and storage:// aliases, end to end."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from tests.objectstores import Store
from tests.snapshots import every_table
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db(databases=["default", "other"])


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_export_inspect_delete_and_restore_through_object_stores(
    world: World, store: Store
) -> None:
    bucket = store.new_bucket()
    spec = f"testapp.Organisation:{world.org.pk}"
    before = every_table()

    url = store.url(bucket, "exports/org.jsonl.gz")
    run("graft_export", spec, "-o", url)
    assert run("graft_inspect", url).startswith(f"{url}: django-graft archive v1, verified")

    run("graft_delete", spec, "--no-input", "--archive", store.url(bucket, "deleted/org.jsonl.zst"))
    assert not m.Organisation.objects.filter(pk=world.org.pk).exists()
    assert sorted(store.keys(bucket)) == ["deleted/org.jsonl.zst", "exports/org.jsonl.gz"]

    run("graft_import", store.url(bucket, "deleted/org.jsonl.zst"))
    assert every_table() == before


def test_pictures_and_archives_in_a_django_storage(
    world: World, settings: Any, tmp_path: Path
) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "archives": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    spec = f"testapp.Organisation:{world.org.pk}"
    run("graft_inspect", spec, "--graph", "storage://archives/plan.mmd")
    assert (tmp_path / "plan.mmd").read_text().startswith("flowchart LR")
    run("graft_export", spec, "-o", "storage://archives/org.jsonl.xz")
    run("graft_import", "storage://archives/org.jsonl.xz", "--database", "other")
    copied = m.Organisation.objects.using("other").get(pk=world.org.pk)
    assert copied.name == world.org.name
