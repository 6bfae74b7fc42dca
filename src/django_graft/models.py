"""The audit log: one row per export, import, clone or delete run from the admin or a command."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class GraftLog(models.Model):
    """Who ran which operation on what, when, with what outcome.

    Rows are written by django-graft and never changed: the admin shows
    them read-only. ``username`` keeps the name when the user is deleted.
    """

    class Operation(models.TextChoices):
        EXPORT = "export", "export"
        IMPORT = "import", "import"
        CLONE = "clone", "clone"
        DELETE = "delete", "delete"

    class Outcome(models.TextChoices):
        SUCCESS = "success", "success"
        FAILURE = "failure", "failure"

    operation = models.CharField(max_length=10, choices=Operation.choices)
    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # related_name="+": a user's tree never includes the log of what they did.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    username = models.CharField(max_length=150, blank=True)
    via = models.CharField(max_length=10, help_text="admin or command")
    database = models.CharField(max_length=100)
    roots = models.JSONField(default=list, help_text="app.Model:PK of each root")
    counts = models.JSONField(default=dict, help_text="rows per model")
    location = models.CharField(max_length=1000, blank=True, help_text="archive written or read")
    sha256 = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = "graft log entry"
        verbose_name_plural = "graft log"

    def __str__(self) -> str:
        roots = ", ".join(self.roots) or "-"
        return f"{self.operation} of {roots} ({self.outcome}, {self.started_at:%Y-%m-%d %H:%M})"
