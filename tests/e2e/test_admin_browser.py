"""Each admin action and the import page, run in Chromium from the change list to the result.

Every page is screenshotted (see conftest): the change list with the
actions, the previews with their picture, the clone form with an error, the
import steps, a background job's page (Django 6.0+), the graft log.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import django
import pytest
from django.contrib.auth.models import User

from django_graft import collect, delete, export
from tests.e2e.conftest import screenshot
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "other"])

CLONE_NAME = 'input[name="testapp.Organisation.name"]'


@pytest.fixture
def admin_page(page: Any, live_server: Any, world: World, archive_storage: Path) -> Any:
    """A page logged in to the admin as a superuser; archives stored in ``tmp_path``."""
    User.objects.create_superuser("boss", password="graft-e2e")
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "graft-e2e")
    page.click('input[type="submit"]')
    page.wait_for_selector("#site-name")
    page.base_url = live_server.url
    return page


def choose(page: Any, changelist: str, pks: list[Any], action: str) -> None:
    page.goto(f"{page.base_url}{changelist}")
    for pk in pks:
        page.check(f'input[name="_selected_action"][value="{pk}"]')
    page.select_option('select[name="action"]', action)


def run_action(page: Any, changelist: str, pk: Any, action: str) -> None:
    choose(page, changelist, [pk], action)
    page.click('button[name="index"]')
    page.wait_for_selector("#graft-counts")


def check_picture(page: Any, root: Any) -> None:
    drawn = page.locator("svg.graft-picture g.graft-node").evaluate_all(
        "nodes => nodes.map(n => n.getAttribute('data-model'))"
    )
    assert sorted(drawn) == sorted(count.label for count in collect(root).counts())
    box = page.locator("svg.graft-picture").bounding_box()
    frame = page.locator("#graft-picture").bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 40
    assert frame is not None and box["width"] <= frame["width"]  # it fits its frame
    # The texts as Chromium drew them: none overlaps another.
    boxes = page.locator("svg.graft-picture text").evaluate_all(
        "texts => texts.map(t => { const b = t.getBBox(); return [b.x, b.y, b.width, b.height]; })"
    )
    for i, (x, y, w, h) in enumerate(boxes):
        for x2, y2, w2, h2 in boxes[i + 1 :]:
            assert not (x < x2 + w2 and x2 < x + w and y < y2 + h2 and y2 < y + h), (x, y, x2, y2)


def message_after_redirect(page: Any) -> str:
    """The message of the page the confirmation redirected to, once it is there."""
    page.wait_for_selector(".messagelist li")
    text: str = page.inner_text(".messagelist li")
    return text


def test_the_change_list_offers_the_actions(admin_page: Any, world: World) -> None:
    page = admin_page
    choose(page, "/admin/testapp/organisation/", [world.org.pk], "export_with_related")
    offered = page.locator('select[name="action"] option').evaluate_all(
        "options => options.map(o => o.value)"
    )
    assert {"export_with_related", "clone_with_related", "delete_with_related"} <= set(offered)
    screenshot(page, "changelist-actions")


def test_delete_from_the_change_list(admin_page: Any, world: World) -> None:
    page = admin_page
    run_action(page, "/admin/testapp/organisation/", world.org.pk, "delete_with_related")
    check_picture(page, world.org)
    assert "testapp.audit.project" in page.inner_text("#graft-updates")
    screenshot(page, "delete-preview")
    page.uncheck('input[name="archive"]')
    page.click("#graft-confirm")
    message = message_after_redirect(page)
    assert message.startswith("Deleted ") and "archived before the delete: no" in message
    screenshot(page, "delete-done")
    assert not m.Organisation.objects.filter(pk=world.org.pk).exists()


def test_export_downloads_the_file(admin_page: Any, world: World) -> None:
    page = admin_page
    run_action(page, "/admin/testapp/organisation/", world.org.pk, "export_with_related")
    check_picture(page, world.org)
    screenshot(page, "export-preview")
    page.select_option('select[name="format"]', "json")
    with page.expect_download() as download:
        page.click("#graft-confirm")
    objects = json.loads(Path(download.value.path()).read_text())
    assert {o["model"] for o in objects} >= {"testapp.organisation", "testapp.project"}


def test_the_picture_shrinks_then_scrolls_in_a_narrow_window(admin_page: Any, world: World) -> None:
    page = admin_page
    page.set_viewport_size({"width": 760, "height": 1000})
    run_action(page, "/admin/testapp/organisation/", world.org.pk, "export_with_related")
    natural = float(page.locator("svg.graft-picture").get_attribute("width") or 0)
    drawn = page.locator("svg.graft-picture").bounding_box()
    frame = page.locator("#graft-picture").evaluate(
        "f => ({client: f.clientWidth, scroll: f.scrollWidth})"
    )
    assert drawn is not None and natural * 0.6 - 1 <= drawn["width"] < natural
    # Narrower than 60 % of its size, the frame scrolls rather than shrink it further.
    assert frame["scroll"] > frame["client"]
    screenshot(page, "export-preview-narrow")


def test_clone_from_the_change_list(admin_page: Any, world: World) -> None:
    page = admin_page
    project = world.projects[0]
    run_action(page, "/admin/testapp/project/", project.pk, "clone_with_related")
    check_picture(page, project)
    screenshot(page, "clone-preview")
    page.click("#graft-confirm")
    assert message_after_redirect(page).startswith("Cloned ")
    assert m.Project.objects.filter(name=project.name).count() == 2


def test_clone_form_shows_an_error_then_gives_the_value(admin_page: Any, world: World) -> None:
    page = admin_page
    choose(
        page,
        "/admin/testapp/organisation/",
        [world.org.pk, world.other_org.pk],
        "clone_with_related",
    )
    page.click('button[name="index"]')
    page.fill(CLONE_NAME, "Same for both")
    page.click("#graft-confirm")
    page.wait_for_selector(".errornote")
    assert "2 rows of testapp.Organisation are copied" in page.inner_text(".errorlist")
    screenshot(page, "clone-form-error")
    run_action(page, "/admin/testapp/organisation/", world.org.pk, "clone_with_related")
    screenshot(page, "clone-form")
    page.fill(CLONE_NAME, "Acme (copy)")
    page.click("#graft-confirm")
    assert "testapp.Organisation.name = Acme (copy)" in message_after_redirect(page)
    screenshot(page, "clone-done")
    assert m.Organisation.objects.filter(name="Acme (copy)").exists()


def test_import_page(admin_page: Any, world: World, tmp_path: Path) -> None:
    page = admin_page
    buffer = io.BytesIO()
    export(world.org, buffer)
    delete(world.org)
    archive = tmp_path / "org.jsonl"
    archive.write_bytes(buffer.getvalue())
    page.goto(f"{page.base_url}/admin/django_graft/graftlog/")
    page.click("#graft-import-link")
    page.wait_for_selector("#graft-import-form")
    screenshot(page, "import-form")
    page.click('#graft-import-form input[type="submit"]')  # nothing chosen: an error
    page.wait_for_selector(".errornote")
    screenshot(page, "import-form-error")
    page.set_input_files('input[name="archive"]', str(archive))
    page.click('#graft-import-form input[type="submit"]')
    page.wait_for_selector("#graft-report")
    screenshot(page, "import-review")
    page.click("#graft-confirm")
    page.wait_for_selector("#graft-done")
    assert "keep" in page.inner_text("#graft-options")
    screenshot(page, "import-done")
    assert m.Organisation.objects.filter(pk=world.org.pk).exists()


def test_the_graft_log(admin_page: Any, world: World) -> None:
    page = admin_page
    run_action(page, "/admin/testapp/project/", world.projects[0].pk, "clone_with_related")
    page.click("#graft-confirm")
    message_after_redirect(page)
    page.goto(f"{page.base_url}/admin/django_graft/graftlog/")
    page.wait_for_selector("#result_list")
    actions = page.locator('select[name="action"] option').evaluate_all(
        "options => options.map(o => o.value)"
    )
    assert "clone_with_related" not in actions
    screenshot(page, "graftlog-list")
    page.click("#result_list tbody tr th a")
    page.wait_for_selector("#content-main")
    assert "clone" in page.inner_text("#content-main")
    screenshot(page, "graftlog-entry")


@pytest.mark.skipif(django.VERSION < (6, 0), reason="django.tasks arrived in Django 6.0")
def test_a_background_job_page(admin_page: Any, world: World, settings: Any) -> None:
    from django_graft.admin import background
    from tests.e2e.sharedqueue import SharedDummyBackend

    settings.TASKS = {"default": {"BACKEND": "tests.e2e.sharedqueue.SharedDummyBackend"}}
    settings.GRAFT = {**settings.GRAFT, "BACKGROUND_ROWS": 5}
    page = admin_page
    run_action(page, "/admin/testapp/organisation/", world.org.pk, "delete_with_related")
    page.uncheck('input[name="archive"]')
    page.click("#graft-confirm")
    page.wait_for_selector("#graft-job-status")
    screenshot(page, "job-queued")
    (job,) = SharedDummyBackend.queue
    # A worker runs it; its progress reaches the page through the (shared) cache.
    background.run(job.args[0], job_id=job.id)
    page.reload()
    page.wait_for_selector("#graft-progress progress")
    assert "rows" in page.inner_text("#graft-progress")
    screenshot(page, "job-progress")
    SharedDummyBackend.queue.clear()
