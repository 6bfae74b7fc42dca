"""Each admin action and the import page, run in Chromium from the change list to the result."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from django_graft import collect, delete, export
from tests.e2e.conftest import screenshot
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "other"])


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


def run_action(page: Any, changelist: str, pk: Any, action: str) -> None:
    page.goto(f"{page.base_url}{changelist}")
    page.check(f'input[name="_selected_action"][value="{pk}"]')
    page.select_option('select[name="action"]', action)
    page.click('button[name="index"]')
    page.wait_for_selector("#graft-counts")


def check_picture(page: Any, root: Any) -> None:
    drawn = page.locator("svg.graft-picture g.graft-node").evaluate_all(
        "nodes => nodes.map(n => n.getAttribute('data-model'))"
    )
    assert sorted(drawn) == sorted(count.label for count in collect(root).counts())
    box = page.locator("svg.graft-picture").bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 40


def message_after_redirect(page: Any) -> str:
    """The message of the page the confirmation redirected to, once it is there."""
    page.wait_for_selector(".messagelist li")
    text: str = page.inner_text(".messagelist li")
    return text


def test_delete_from_the_change_list(admin_page: Any, world: World) -> None:
    page = admin_page
    run_action(page, "/admin/testapp/organisation/", world.org.pk, "delete_with_related")
    check_picture(page, world.org)
    assert "testapp.audit.project" in page.inner_text("#graft-updates")
    screenshot(page, "delete-preview")
    page.uncheck('input[name="archive"]')
    page.click("#graft-confirm")
    assert message_after_redirect(page).startswith("Deleted ")
    screenshot(page, "delete-done")
    assert not m.Organisation.objects.filter(pk=world.org.pk).exists()


def test_export_downloads_the_file(admin_page: Any, world: World) -> None:
    page = admin_page
    run_action(page, "/admin/testapp/organisation/", world.org.pk, "export_with_related")
    check_picture(page, world.org)
    screenshot(page, "export-preview")
    page.select_option("#graft-format", "json")
    with page.expect_download() as download:
        page.click("#graft-confirm")
    objects = json.loads(Path(download.value.path()).read_text())
    assert {o["model"] for o in objects} >= {"testapp.organisation", "testapp.project"}


def test_clone_from_the_change_list(admin_page: Any, world: World) -> None:
    page = admin_page
    project = world.projects[0]
    run_action(page, "/admin/testapp/project/", project.pk, "clone_with_related")
    check_picture(page, project)
    screenshot(page, "clone-preview")
    page.click("#graft-confirm")
    assert message_after_redirect(page).startswith("Cloned ")
    assert m.Project.objects.filter(name=project.name).count() == 2


def test_import_page(admin_page: Any, world: World, tmp_path: Path) -> None:
    page = admin_page
    buffer = io.BytesIO()
    export(world.org, buffer)
    delete(world.org)
    archive = tmp_path / "org.jsonl"
    archive.write_bytes(buffer.getvalue())
    page.goto(f"{page.base_url}/admin/django_graft/graftlog/")
    page.click("#graft-import-link")
    page.set_input_files('input[name="archive"]', str(archive))
    screenshot(page, "import-form")
    page.click('#graft-import-form input[type="submit"]')
    page.wait_for_selector("#graft-report")
    screenshot(page, "import-review")
    page.click("#graft-confirm")
    page.wait_for_selector("#graft-done")
    screenshot(page, "import-done")
    assert m.Organisation.objects.filter(pk=world.org.pk).exists()
