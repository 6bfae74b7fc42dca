"""An admin site whose user admin offers the django-graft actions (for the secrets tests)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.urls import URLPattern, URLResolver, path

from django_graft.admin import GraftAdminMixin

site = admin.AdminSite(name="admin")


class GraftUserAdmin(GraftAdminMixin, UserAdmin):  # type: ignore[type-arg]
    pass


site.register(User, GraftUserAdmin)

urlpatterns: list[URLPattern | URLResolver] = [path("admin/", site.urls)]
