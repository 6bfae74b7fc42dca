from __future__ import annotations

from django.apps import AppConfig


class GraftConfig(AppConfig):
    name = "django_graft"
    label = "django_graft"
    verbose_name = "django-graft"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django_graft import checks  # noqa: F401  (registers the system checks)
