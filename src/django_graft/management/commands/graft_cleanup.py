"""graft_cleanup: remove the admin's uploads whose import was never confirmed."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.apps import apps
from django.core.management.base import CommandError

from django_graft.conf import graft_settings
from django_graft.management.commands._base import GraftCommand


class Command(GraftCommand):
    help = (
        "Remove the archives uploaded to the admin's import page whose import was never "
        "confirmed, once older than GRAFT['UPLOAD_TTL'] seconds; list each one removed."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="List the uploads that would be removed, and remove nothing.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not apps.is_installed("django.contrib.admin"):
            raise CommandError(
                "There is nothing to clean: uploads come from the admin's import page, and "
                "django.contrib.admin is not in INSTALLED_APPS."
            )
        # The admin package loads django.contrib.admin: only once it is known installed.
        from django_graft.admin import archives

        dry_run = bool(options["dry_run"])
        uploads = archives.remove_expired_uploads(dry_run=dry_run)
        verb = "Would remove" if dry_run else "Removed"
        for upload in uploads:
            self.stdout.write(f"{verb} {upload.name} (saved {upload.saved_at:%Y-%m-%d %H:%M:%S}).")
        ttl = graft_settings.UPLOAD_TTL
        self.stdout.write(
            f"{verb} {len(uploads)} upload(s) older than {ttl} seconds (GRAFT['UPLOAD_TTL']) "
            f"from the storage '{archives.alias()}'."
        )
