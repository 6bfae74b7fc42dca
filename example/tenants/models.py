"""A multi-tenant meeting-management schema.

An :class:`Organisation` is the tenant root. Everything reachable from it
through cascading foreign keys (memberships, meetings, participants, agenda
items, proposals, motions and generic comments) belongs to that tenant.
Users and tags are shared between tenants and are only referenced.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


def _shorten(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


class Organisation(models.Model):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=200, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    settings = models.JSONField(default=dict, blank=True)

    comments = GenericRelation("Comment")

    def __str__(self) -> str:
        return self.name


class TagManager(models.Manager["Tag"]):
    def get_by_natural_key(self, name: str) -> Tag:
        return self.get(name=name)


class Tag(models.Model):
    """A label shared by every organisation."""

    name = models.CharField(max_length=50, unique=True)

    objects = TagManager()

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str]:
        return (self.name,)


class Membership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", "Administrator"
        MEMBER = "member", "Member"
        GUEST = "guest", "Guest"

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "user"], name="tenants_membership_unique_user"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.organisation} ({self.role})"


class Meeting(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="meetings"
    )
    title = models.CharField(max_length=200)
    starts_at = models.DateTimeField()
    duration = models.DurationField(null=True, blank=True)
    location = models.CharField(max_length=200, blank=True)
    budget = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    reference = models.UUIDField(default=uuid.uuid4, unique=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="meetings")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    minutes = models.FileField(upload_to="minutes/", blank=True)

    comments = GenericRelation("Comment")

    def __str__(self) -> str:
        return self.title


class Participant(models.Model):
    class Role(models.TextChoices):
        CHAIR = "chair", "Chair"
        SECRETARY = "secretary", "Secretary"
        ATTENDEE = "attendee", "Attendee"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="participations"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.ATTENDEE)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "user"], name="tenants_participant_unique_user"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role})"


class AgendaItem(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    # Sub-items point at their parent item of the same meeting.
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    position = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    # Keys of other rows, which no foreign key holds: {"see_also": [item ids],
    # "decided_by": proposal id}. tenants.policies.LINKED declares them.
    links = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"{self.position}. {self.title}"

    def clean(self) -> None:
        super().clean()
        if self.parent_id is not None and self.parent is not None:
            if self.parent.meeting_id != self.meeting_id:
                raise ValidationError({"parent": "A sub-item must belong to the same meeting."})
            if self.parent_id == self.pk:
                raise ValidationError({"parent": "An item cannot be its own parent."})


class Proposal(models.Model):
    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="proposals")
    # PROTECT: a user who authored proposals cannot be deleted while they exist.
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    attachment = models.BinaryField(null=True, blank=True)

    comments = GenericRelation("Comment")

    def __str__(self) -> str:
        return _shorten(self.text)


class Motion(Proposal):
    """A proposal put to a vote (multi-table inheritance from Proposal)."""

    class Outcome(models.TextChoices):
        CARRIED = "carried", "Carried"
        DEFEATED = "defeated", "Defeated"
        WITHDRAWN = "withdrawn", "Withdrawn"

    seconded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    votes_for = models.IntegerField(default=0)
    votes_against = models.IntegerField(default=0)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)

    def __str__(self) -> str:
        return f"Motion: {_shorten(self.text)}"


class Comment(models.Model):
    """A remark attached to any object (organisation, meeting, proposal, motion)."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="tenants_comment_target_idx"),
        ]

    def __str__(self) -> str:
        # get_for_id() is cached, so listing comments costs no query per row.
        model = ContentType.objects.get_for_id(self.content_type_id).model
        return f"{model} #{self.object_id}: {_shorten(self.body, 40)}"
