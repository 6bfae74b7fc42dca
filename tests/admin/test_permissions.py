"""The permissions each operation needs on every model it touches."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User

from django_graft import collect
from django_graft.admin import permissions as perms
from django_graft.tree.outside import scan_outside
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db


def test_export_needs_view_on_every_model(world: World) -> None:
    graph = collect(world.org)
    needed = perms.for_export(graph)
    assert "testapp.view_organisation" in needed and "testapp.view_tag" in needed
    # The auto-created table of Project.tags stands behind Project's own permission.
    assert "testapp.change_project" in needed
    assert not any("project_tags" in name for name in needed)


def test_clone_and_delete(world: World) -> None:
    graph = collect(world.org)
    clone = perms.for_clone(graph)
    assert "testapp.add_project" in clone and "testapp.view_tag" in clone
    assert "testapp.add_tag" not in clone  # tags are needed, not copied
    outside = scan_outside(graph)
    delete = perms.for_delete(graph, {update.model for update in outside.updates})
    assert "testapp.delete_project" in delete
    assert "testapp.change_audit" in delete  # audits' project is set to NULL


def test_what_a_user_lacks(world: World) -> None:
    graph = collect(world.org)
    needed = perms.for_export(graph)
    clerk = User.objects.create_user("clerk")
    assert perms.lacking(clerk, needed) == needed
    clerk.user_permissions.add(
        *Permission.objects.filter(codename__startswith="view_", content_type__app_label="testapp")
    )
    clerk = User.objects.get(pk=clerk.pk)  # permissions are cached per user object
    assert perms.lacking(clerk, needed) == ["testapp.change_project"]
    boss = User.objects.create_superuser("boss")
    assert perms.lacking(boss, needed) == []
    assert m.Organisation.objects.exists()
