"""Admin for the example schema.

Seeded benchmark tenants hold tens of thousands of rows, so foreign keys to
large tables use raw id widgets instead of <select> boxes that would render
every row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.contenttypes.admin import GenericTabularInline

from .models import (
    AgendaItem,
    Comment,
    Meeting,
    Membership,
    Motion,
    Organisation,
    Participant,
    Proposal,
    Tag,
)

if TYPE_CHECKING:
    # The admin classes are generic only in django-stubs; subscripting them at
    # runtime raises TypeError, so the parameters exist for the type checker only.
    ModelAdmin = admin.ModelAdmin[Any]
    TabularInline = admin.TabularInline[Any, Any]
else:
    ModelAdmin = admin.ModelAdmin
    TabularInline = admin.TabularInline


class CommentInline(GenericTabularInline):
    model = Comment
    extra = 0
    fields = ("author", "body", "created_at")
    raw_id_fields = ("author",)


class MembershipInline(TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ("user",)


class ParticipantInline(TabularInline):
    model = Participant
    extra = 0
    raw_id_fields = ("user",)


class AgendaItemInline(TabularInline):
    model = AgendaItem
    extra = 0
    fields = ("position", "title", "parent")
    raw_id_fields = ("parent",)


@admin.register(Organisation)
class OrganisationAdmin(ModelAdmin):
    list_display = ("name", "slug", "created_at")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = (MembershipInline, CommentInline)


@admin.register(Tag)
class TagAdmin(ModelAdmin):
    list_display = ("name",)
    search_fields = ("name",)


@admin.register(Membership)
class MembershipAdmin(ModelAdmin):
    list_display = ("user", "organisation", "role", "joined_at")
    list_filter = ("role", "organisation")
    list_select_related = ("user", "organisation")
    search_fields = ("user__username", "organisation__name")
    raw_id_fields = ("user", "organisation")


@admin.register(Meeting)
class MeetingAdmin(ModelAdmin):
    list_display = ("title", "organisation", "starts_at", "location", "budget", "created_by")
    list_filter = ("organisation", "tags")
    list_select_related = ("organisation", "created_by")
    search_fields = ("title", "location", "reference")
    date_hierarchy = "starts_at"
    filter_horizontal = ("tags",)
    raw_id_fields = ("organisation", "created_by")
    inlines = (ParticipantInline, AgendaItemInline, CommentInline)


@admin.register(Participant)
class ParticipantAdmin(ModelAdmin):
    list_display = ("user", "meeting", "role")
    list_filter = ("role",)
    list_select_related = ("user", "meeting")
    search_fields = ("user__username", "meeting__title")
    raw_id_fields = ("meeting", "user")


@admin.register(AgendaItem)
class AgendaItemAdmin(ModelAdmin):
    list_display = ("title", "meeting", "position", "parent")
    list_select_related = ("meeting", "parent")
    search_fields = ("title", "meeting__title")
    raw_id_fields = ("meeting", "parent")


@admin.register(Proposal)
class ProposalAdmin(ModelAdmin):
    list_display = ("__str__", "item", "author", "created_at")
    list_select_related = ("item", "author")
    search_fields = ("text",)
    raw_id_fields = ("item", "author")
    inlines = (CommentInline,)


@admin.register(Motion)
class MotionAdmin(ModelAdmin):
    list_display = (
        "__str__",
        "item",
        "author",
        "seconded_by",
        "votes_for",
        "votes_against",
        "outcome",
    )
    list_filter = ("outcome",)
    list_select_related = ("item", "author", "seconded_by")
    search_fields = ("text",)
    raw_id_fields = ("item", "author", "seconded_by")
    inlines = (CommentInline,)


@admin.register(Comment)
class CommentAdmin(ModelAdmin):
    list_display = ("__str__", "content_type", "object_id", "author", "created_at")
    list_filter = ("content_type",)
    list_select_related = ("content_type", "author")
    search_fields = ("body",)
    raw_id_fields = ("author",)
