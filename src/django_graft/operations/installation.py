"""This installation's id, which archives carry so that a sync knows where rows came from.

``GRAFT["INSTALLATION_ID"]`` names it; otherwise one is generated the first
time the app's tables are migrated (or an export needs it) and kept in
that database (``django_graft_installation``). A database copied from another keeps its
id: give the copy its own with the setting.
"""

from __future__ import annotations

import uuid

from django.db import DatabaseError, IntegrityError, transaction

from django_graft.conf import graft_settings
from django_graft.models import GraftInstallation


def installation_id(using: str) -> str | None:
    """The id of the installation that owns database ``using``; None where none can be kept.

    A database without the app's tables (migrate not run there) has none,
    and archives exported from it cannot be synced; nothing else depends on it.
    ``migrate`` generates the id (a ``post_migrate`` receiver), so an export
    only reads it.
    """
    configured = graft_settings.INSTALLATION_ID
    if configured:
        return configured
    return _read_or_create(using)


def _read_or_create(using: str) -> str | None:
    manager = GraftInstallation.objects.using(using)
    try:
        # A savepoint of its own: a failed read must not break the caller's transaction.
        with transaction.atomic(using=using):
            found = manager.first()
            if found is None:
                with transaction.atomic(using=using):
                    found = manager.create(installation_id=uuid.uuid4().hex)
            return str(found.installation_id)
    except IntegrityError:  # another process generated it meanwhile
        found = manager.first()
        return None if found is None else str(found.installation_id)
    except DatabaseError:
        return None
