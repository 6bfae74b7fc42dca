"""The app's tables: the audit log, the sync ledger and this installation's id.

The audit log has one row per export, import, clone or delete run from the
admin or a command. The ledger remembers, per source installation and tree,
which key each owned row of an archive received in this database when a
sync created it, and a fingerprint of the values it was given, so that the
next sync of the same tree updates those rows and knows when this database
changed one of them.
"""

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


class GraftLedgerEntry(models.Model):
    """One row a sync created in this database, and where it came from.

    ``source`` is the installation the archive came from, ``tree`` the
    sha256 of its roots (``roots`` spells them out); ``source_key`` and
    ``target_key`` are keys as the archive writes them (JSON). ``fingerprint``
    is the sha256 of the row's values as this database held them after the
    sync wrote them, ``source_fingerprint`` that of the archive's record.
    """

    source = models.CharField(max_length=64)
    # A digest, so that the unique index fits every database's key length.
    tree = models.CharField(max_length=64)
    roots = models.TextField()
    model = models.CharField(max_length=200)
    # "own" or "need": a needed row the sync created is found again, never pruned.
    role = models.CharField(max_length=4, default="own")
    source_key = models.CharField(max_length=255)
    target_key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    # The sha256 of the archive's record: a row whose record did not change
    # since the last sync needs no look at the row here.
    source_fingerprint = models.CharField(max_length=64)
    synced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "graft ledger entry"
        verbose_name_plural = "graft ledger"
        constraints = [
            models.UniqueConstraint(
                fields=["source", "tree", "model", "source_key"], name="django_graft_ledger_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.model} {self.source_key} -> {self.target_key} ({self.source}: {self.tree})"


class GraftInstallation(models.Model):
    """This installation's id, generated once (unless ``GRAFT["INSTALLATION_ID"]`` names it)."""

    installation_id = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = "graft installation"

    def __str__(self) -> str:
        return self.installation_id
