"""The app: registers the system checks, the installation's id and, if asked, the admin actions."""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate

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

        post_migrate.connect(_name_installation, sender=self)

        if graft_settings.ADMIN_ACTIONS and apps.is_installed("django.contrib.admin"):
            # The admin package loads django.contrib.admin: only where installed.
            from django_graft.admin import add_graft_actions

            add_graft_actions()


def _name_installation(using: str, **kwargs: Any) -> None:
    """Give a database its installation id as soon as the app's tables are there.

    Generated here, outside any transaction of an operation, so that an
    export inside a transaction that is rolled back never hands out an id
    the database does not keep.
    """
    # The models module needs the registry ready, as it is once migrations run.
    from django_graft.operations.installation import installation_id

    installation_id(using)
