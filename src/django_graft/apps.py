from __future__ import annotations

from django.apps import AppConfig


class GraftConfig(AppConfig):
    name = "django_graft"
    label = "django_graft"
    verbose_name = "django-graft"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.apps import apps

        from django_graft import checks  # noqa: F401  (registers the system checks)
        from django_graft.conf import graft_settings

        if graft_settings.ADMIN_ACTIONS and apps.is_installed("django.contrib.admin"):
            from django_graft.admin import add_graft_actions

            add_graft_actions()
