"""The app: registers the system checks and, if asked, the admin actions."""

from __future__ import annotations

from django.apps import AppConfig, apps

from django_graft.conf import graft_settings


class GraftConfig(AppConfig):
    name = "django_graft"
    label = "django_graft"
    verbose_name = "django-graft"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Importing the checks registers them; they import the policy, which
        # may import the project's models: only once the registry is ready.
        from django_graft import checks  # noqa: F401

        if graft_settings.ADMIN_ACTIONS and apps.is_installed("django.contrib.admin"):
            # The admin package loads django.contrib.admin: only where installed.
            from django_graft.admin import add_graft_actions

            add_graft_actions()
