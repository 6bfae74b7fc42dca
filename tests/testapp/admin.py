"""Admin pages of the zoo: organisations and tags with the django-graft actions."""

from __future__ import annotations

from django.contrib import admin

from django_graft.admin import GraftAdminMixin
from tests.testapp import models as m


@admin.register(m.Organisation)
class OrganisationAdmin(GraftAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    pass


@admin.register(m.Tag)
class TagAdmin(GraftAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    pass


@admin.register(m.Project)
class ProjectAdmin(GraftAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    pass
