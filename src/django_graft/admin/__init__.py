"""django-graft in the Django admin: actions on any model, and the audit log.

``GraftAdminMixin`` adds "Export with related objects", "Clone with related
objects" and "Delete with related objects" to one ``ModelAdmin``;
``GRAFT["ADMIN_ACTIONS"] = True`` adds them to every model of the default
admin site. The audit log is registered read-only.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import URLPattern, path

from django_graft.admin.actions import (
    GRAFT_ACTIONS,
    clone_with_related,
    delete_with_related,
    export_with_related,
)
from django_graft.admin.imports import import_view
from django_graft.admin.jobpage import job_view
from django_graft.models import GraftLog

if TYPE_CHECKING:
    ModelAdminBase = admin.ModelAdmin[Any]
else:
    ModelAdminBase = object

__all__ = [
    "GRAFT_ACTIONS",
    "GraftAdminMixin",
    "GraftLogAdmin",
    "add_graft_actions",
    "clone_with_related",
    "delete_with_related",
    "export_with_related",
]


def add_graft_actions(site: admin.AdminSite | None = None) -> None:
    """Offer the three actions on every model of ``site`` (the default admin site)."""
    for function in GRAFT_ACTIONS:
        (site or admin.site).add_action(function)


class GraftAdminMixin(ModelAdminBase):
    """Add the three django-graft actions to a ``ModelAdmin``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Added to the instance's list, after the class's own actions: the
        # admin filters them by permission and offers them like any other.
        own = list(self.actions or [])
        self.actions = [*own, *(f for f in GRAFT_ACTIONS if f not in own)]


@admin.register(GraftLog)
class GraftLogAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The audit log, read-only: rows are written by django-graft alone."""

    list_display = ("started_at", "operation", "outcome", "username", "via", "database", "roots")
    list_filter = ("operation", "outcome", "via", "database")
    search_fields = ("username", "location", "sha256", "message")
    date_hierarchy = "started_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_actions(self, request: HttpRequest, action_location: Any = None) -> dict[str, Any]:
        # Offered site-wide by GRAFT["ADMIN_ACTIONS"]; the log's own rows are
        # not a tree to export, clone or delete. Django 6.1 passes where the
        # actions are shown; earlier versions have no such argument.
        parent: Any = super()  # the stubs know no action_location yet
        if action_location is None:
            actions: dict[str, Any] = parent.get_actions(request)
        else:
            actions = parent.get_actions(request, action_location=action_location)
        for function in GRAFT_ACTIONS:
            actions.pop(function.__name__, None)
        return actions

    def get_urls(self) -> list[URLPattern]:
        site = self.admin_site
        return [
            path(
                "import/",
                site.admin_view(partial(import_view, self)),
                name="django_graft_graftlog_import",
            ),
            path(
                "job/<str:job_id>/",
                site.admin_view(partial(job_view, self)),
                name="django_graft_graftlog_job",
            ),
            *super().get_urls(),
        ]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
