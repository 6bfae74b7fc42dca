"""A background job reports its progress to the cache, and its page draws the bar."""

from __future__ import annotations

import re
from typing import Any

import django
import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import User
from django.core.cache import caches
from django.test import Client

from django_graft import collect
from django_graft.admin import background
from django_graft.admin.jobprogress import CacheProgress, cache_key
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(django.VERSION < (6, 0), reason="django.tasks arrived in Django 6.0"),
]

CHANGELIST = "/admin/testapp/organisation/"
LOCMEM = "django.core.cache.backends.locmem.LocMemCache"


@pytest.fixture
def progress_cache(settings: Any) -> str:
    """A cache of its own for the progress, as GRAFT["PROGRESS_CACHE"] names one."""
    settings.CACHES = {
        "default": {"BACKEND": LOCMEM, "LOCATION": "default"},
        "progress": {"BACKEND": LOCMEM, "LOCATION": "graft-progress-tests"},
    }
    settings.GRAFT = {"BACKGROUND_ROWS": 5, "PROGRESS_CACHE": "progress"}
    return "progress"


def delete_org(client: Client, world: World) -> Any:
    data = {"action": "delete_with_related", ACTION_CHECKBOX_NAME: [str(world.org.pk)]}
    return client.post(CHANGELIST, {**data, "post": "yes"})


def boss() -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("boss"))
    return client


def test_the_task_reports_increasing_progress(
    world: World, settings: Any, progress_cache: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    monkeypatch.setattr(CacheProgress, "interval", 0.0)  # every report, to see them all
    cache = caches[progress_cache]
    written: list[dict[str, Any]] = []
    real_set = cache.set

    def recording(key: str, value: Any, *args: Any, **kwargs: Any) -> None:
        written.append(value)
        real_set(key, value, *args, **kwargs)

    monkeypatch.setattr(cache, "set", recording)
    owned = sum(count.owned for count in collect(world.org).counts())
    delete_org(boss(), world)
    assert not m.Organisation.objects.filter(pk=world.org.pk).exists()
    deleting = [value for value in written if value["stage"] == "deleting"]
    assert deleting[0]["done"] == 0 and deleting[-1] == {
        "done": owned,
        "total": owned,
        "stage": "deleting",
    }
    done = [value["done"] for value in deleting]
    assert len(done) > 2 and done == sorted(done)
    assert all(value["total"] == owned for value in deleting)


def test_writes_are_throttled(world: World, settings: Any, progress_cache: str) -> None:
    progress = CacheProgress("job-1")
    cache = caches[progress_cache]
    progress.stage("writing", 1000)
    for _ in range(999):
        progress.advance(1)
    assert cache.get(cache_key("job-1"))["done"] == 0  # all within the interval
    progress.advance(1)
    assert cache.get(cache_key("job-1"))["done"] == 1000  # a stage's end is always written


def test_the_job_page_shows_the_bar(world: World, settings: Any, progress_cache: str) -> None:
    from django.tasks import default_task_backend

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    client = boss()
    page_url = delete_org(client, world)["Location"]
    queued = client.get(page_url).content.decode()
    assert "<progress" not in queued and 'http-equiv="refresh"' in queued
    (job,) = default_task_backend.results  # type: ignore[attr-defined]
    # What a worker does: run the job, reporting to the shared cache.
    background.run(job.args[0], job_id=job.id)
    page = client.get(page_url).content.decode()
    (bar,) = re.findall(r'<progress value="(\d+)" max="(\d+)">', page)
    assert bar[0] == bar[1] != "0"
    assert f"{bar[0]} of {bar[1]} rows" in page
    assert 'http-equiv="refresh"' in page  # the backend has not said it is done
    assert '<th scope="row">Archived before the delete</th><td>no</td>' in page
    default_task_backend.clear()  # type: ignore[attr-defined]


def test_without_progress_the_page_shows_the_status(
    world: World, settings: Any, progress_cache: str
) -> None:
    from django.tasks import default_task_backend

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    client = boss()
    page_url = delete_org(client, world)["Location"]
    (job,) = default_task_backend.results  # type: ignore[attr-defined]
    caches[progress_cache].set(cache_key(job.id), "not progress")
    page = client.get(page_url).content.decode()
    assert 'data-status="READY"' in page and "<progress" not in page
    default_task_backend.clear()  # type: ignore[attr-defined]
