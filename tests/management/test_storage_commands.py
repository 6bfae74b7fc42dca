"""Every command's path argument takes S3 URLs and storage:// aliases, end to end."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from tests.snapshots import every_table
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db(databases=["default", "other"])

Bucket = tuple[str, Any]


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_export_inspect_delete_and_restore_through_s3(world: World, s3_bucket: Bucket) -> None:
    name, client = s3_bucket
    spec = f"testapp.Organisation:{world.org.pk}"
    before = every_table()

    run("graft_export", spec, "-o", f"s3://{name}/exports/org.jsonl.gz")
    url = f"s3://{name}/exports/org.jsonl.gz"
    assert run("graft_inspect", url).startswith(f"{url}: django-graft archive v1, verified")

    run("graft_delete", spec, "--no-input", "--archive", f"s3://{name}/deleted/org.jsonl.zst")
    assert not m.Organisation.objects.filter(pk=world.org.pk).exists()
    keys = sorted(o["Key"] for o in client.list_objects_v2(Bucket=name)["Contents"])
    assert keys == ["deleted/org.jsonl.zst", "exports/org.jsonl.gz"]

    run("graft_import", f"s3://{name}/deleted/org.jsonl.zst")
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
