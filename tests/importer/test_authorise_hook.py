"""The ``authorise`` hook: what a planned import would do, seen before anything is written."""

from __future__ import annotations

import datetime
import io
import json
from typing import Any

import pytest
from django.contrib.auth.models import User

from django_graft import Policy, delete, export, import_archive
from django_graft.exceptions import PermissionRefused
from django_graft.importer.intent import ImportIntent
from tests.snapshots import every_table
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db


def fixture(*objects: dict[str, Any]) -> io.BytesIO:
    return io.BytesIO(json.dumps(list(objects)).encode())


def account(pk: int, username: str, **fields: Any) -> dict[str, Any]:
    return {"model": "auth.user", "pk": pk, "fields": {"username": username, **fields}}


class Recorder:
    """An ``authorise`` hook that keeps what it was shown, in plain values."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []

    def __call__(self, intent: ImportIntent) -> None:
        self.seen.append(
            {
                model._meta.label_lower: {
                    "created": sorted(planned.created, key=repr),
                    "updated": dict(planned.updated),
                    "matched": len(planned.matched),
                    "skipped": dict(planned.skipped),
                    "created rows": dict(planned.created_rows()),
                    "updated rows": dict(planned.updated_rows()),
                }
                for model, planned in intent.models.items()
            }
            | {"relinked": {m._meta.label_lower: keys for m, keys in intent.relinked.items()}}
        )


def test_created_rows_hold_decoded_values_after_the_policy() -> None:
    def make_staff(rows: list[dict[str, Any]]) -> None:
        for row in rows:
            row["is_staff"] = row["username"] == "mallory"

    policy = Policy(
        set_fields={"auth.User.first_name": "Imported"},
        hooks={"auth.User": {"pre_save": make_staff}},
    )
    data = fixture(
        account(900, "mallory", is_superuser="t", date_joined="2024-01-02T03:04:05Z"),
        account(901, "alice", is_superuser="0", date_joined="2024-01-02T03:04:05Z"),
    )
    recorder = Recorder()
    for dry_run in (True, False):
        data.seek(0)
        import_archive(data, policy=policy, authorise=recorder, dry_run=dry_run, format="json")
    dry, real = recorder.seen
    assert dry == real  # the same answer in a dry run and a real one
    rows = dry["auth.user"]["created rows"]
    assert sorted(rows) == [900, 901]
    assert (rows[900]["is_staff"], rows[900]["is_superuser"]) == (True, True)
    assert (rows[901]["is_staff"], rows[901]["is_superuser"]) == (False, False)
    assert rows[900]["first_name"] == "Imported"
    joined = datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    assert rows[900]["date_joined"] == joined
    written = User.objects.get(pk=900)
    assert (written.is_staff, written.is_superuser, written.first_name) == (True, True, "Imported")


def test_updated_and_skipped_rows_name_the_rows_they_overwrite_or_leave() -> None:
    User.objects.create_user("alice", pk=901)
    recorder = Recorder()
    for mode in ("update", "skip"):
        import_archive(
            fixture(account(901, "bob", is_staff=1)),
            on_conflict=mode,
            dry_run=True,
            authorise=recorder,
            format="json",
        )
    update, skip = (seen["auth.user"] for seen in recorder.seen)
    assert (update["created"], update["updated"]) == ([], {901: 901})
    assert update["updated rows"][901]["is_staff"] is True
    assert (skip["updated"], skip["skipped"], skip["created rows"]) == ({}, {901: 901}, {})


def test_matched_rows_are_reads(world: World) -> None:
    buffer = io.BytesIO()
    export(world.org, buffer)
    delete(world.org)
    buffer.seek(0)
    recorder = Recorder()
    import_archive(buffer, pks="remap", dry_run=True, authorise=recorder)
    (seen,) = recorder.seen
    assert seen["testapp.person"]["matched"] > 0
    assert seen["testapp.person"]["created"] == []
    assert seen["testapp.organisation"]["created"]


def test_link_records_name_the_outside_rows_they_change(world: World) -> None:
    audit = m.Audit.objects.get()
    buffer = io.BytesIO()
    delete(world.org, archive=buffer)
    buffer.seek(0)
    recorder = Recorder()
    import_archive(buffer, dry_run=True, authorise=recorder)
    assert recorder.seen[0]["relinked"] == {"testapp.audit": {audit.pk}}


def test_a_refusal_writes_nothing(world: World) -> None:
    buffer = io.BytesIO()
    delete(world.org, archive=buffer)
    before = every_table()

    def refuse(intent: ImportIntent) -> None:
        raise PermissionRefused("No.", lacking=["everything"])

    buffer.seek(0)
    with pytest.raises(PermissionRefused, match=r"^No\.$"):
        import_archive(buffer, authorise=refuse)
    assert every_table() == before
