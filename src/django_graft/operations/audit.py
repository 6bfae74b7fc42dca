"""Record an operation in the audit log (:class:`~django_graft.models.GraftLog`).

The commands and the admin wrap each operation they run in :func:`recorded`;
the Python API records nothing, so that code calling it decides. The entry
is written once the operation is over, to the database the router picks
for the log, outside the operation's transaction: a rolled-back import is
still on record, as a failure. A log that cannot be written (its table not
migrated, say) is reported on the ``django_graft.operations.audit`` logger and does
not undo an operation that succeeded.
"""

from __future__ import annotations

import contextlib
import getpass
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import DatabaseError, router, transaction
from django.utils import timezone

from django_graft.models import GraftLog
from django_graft.render.redact import redact

logger = logging.getLogger("django_graft.operations.audit")


@dataclass
class Entry:
    """What the operation reports back for its log entry."""

    counts: dict[str, int] = field(default_factory=dict)
    location: str = ""
    sha256: str = ""


def _user_fields(user: Any, username: str) -> dict[str, Any]:
    if user is None or not getattr(user, "is_authenticated", False):
        return {"user": None, "username": username}
    return {"user": user, "username": user.get_username()}


def system_user() -> str:
    """The login running a command, for its log entry."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


@contextlib.contextmanager
def recorded(
    operation: str,
    *,
    via: str,
    database: str,
    roots: list[str],
    user: Any = None,
    username: str = "",
) -> Iterator[Entry]:
    """Log the operation run inside: its outcome, and what it filled ``Entry`` with.

    ``user`` is who ran it from the admin; ``username`` names whoever ran it
    otherwise (the system login, for a command).
    """
    started = timezone.now()
    entry = Entry()
    outcome = "success"
    message = ""
    try:
        yield entry
    except BaseException as exc:
        outcome = "failure"
        message = getattr(exc, "message", None) or redact(f"{type(exc).__name__}: {exc}")
        raise
    finally:
        log = GraftLog(
            operation=operation,
            started_at=started,
            finished_at=timezone.now(),
            via=via,
            database=database,
            roots=roots,
            counts=entry.counts,
            location=entry.location,
            sha256=entry.sha256,
            outcome=outcome,
            message=message,
            **_user_fields(user, username),
        )
        using = router.db_for_write(GraftLog)
        try:
            # In a savepoint: a log that cannot be written must not spoil a
            # transaction the caller holds open.
            with transaction.atomic(using=using):
                log.save(using=using)
        except DatabaseError as exc:
            logger.warning(
                "Could not write the audit log entry for this %s (%s). Run migrate for "
                "django_graft.",
                operation,
                exc,
            )
