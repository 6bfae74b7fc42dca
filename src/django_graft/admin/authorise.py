"""What an admin user needs to import an archive, checked in two steps.

1. :func:`admit`, before anything is planned: the archive may hold at
   most ``GRAFT["ADMIN_MAX_ROWS"]`` records, and the user must be able to
   view (``view`` or ``change``) every model it names and every model
   those point at (content types excepted: they name the installed models,
   which are no secret). This step reads the archive and nothing else, so
   its answer cannot tell whether a row exists in a model the user may not
   see.
2. :class:`AdminAuthoriser`, the ``authorise`` hook of the import, once it
   is planned and before anything is written (the dry run and the real
   run alike): ``add`` on every model it creates rows of, ``change`` on
   every model it updates and on every model whose rows its link records
   change, ``view`` on every model it only matches or skips. Rows of an
   auto-created many-to-many table need ``change`` on the model declaring
   the field. And superuser status, judged on the values as the fields
   decode them after the policy's ``set_fields`` and ``pre_save`` hook:

   - to create an account of the user model whose ``is_staff`` or
     ``is_superuser`` is true;
   - to overwrite an existing account (``--on-conflict update``): that
     replaces its password hash, its flags, its activity;
   - to create or overwrite rows of ``auth.Group``, ``auth.Permission`` and
     of the tables that give users groups and permissions and groups
     permissions (the through tables of the user model's ``groups`` and
     ``user_permissions`` and of ``Group.permissions``);
   - to change any of these rows, accounts included, through link records;
   - to write content types (they name every permission) or sessions.

   Rows of the audit log and of Django's admin log are written by no
   import from the admin, whoever runs it: records of what happened.

Proxies and every spelling of a label resolve to the concrete model first:
the rule is the table's, not the name's.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db.models import ManyToManyField, Model

from django_graft.admin import permissions
from django_graft.admin.outline import outline
from django_graft.conf import graft_settings
from django_graft.db.batching import key_order
from django_graft.exceptions import LimitExceeded, PermissionRefused
from django_graft.importer.intent import ImportIntent, ModelIntent
from django_graft.schema.labels import concrete, model_label
from django_graft.storage import Destination

#: The flags of the user model that make an account privileged.
FLAGS = ("is_staff", "is_superuser")
#: Models every staff user may see rows of: content types name the installed
#: models, which the admin shows anyway; archives point at them all the time.
OPEN_TO_READ = frozenset({"contenttypes.contenttype"})
#: How many rows a message names before it counts the rest.
_SHOWN = 10


def is_superuser(user: Any) -> bool:
    return bool(getattr(user, "is_active", False) and getattr(user, "is_superuser", False))


def may_view(user: Any, model: type[Model]) -> bool:
    """``view`` on ``model``, which ``change`` implies (as in Django's admin)."""
    return any(user.has_perm(permissions.permission(model, a)) for a in ("view", "change"))


def admit(user: Any, location: Destination) -> None:
    """Refuse an archive too large for the page, or naming models ``user`` may not view.

    Decided from the archive alone, before the import plans anything.
    """
    found = outline(location)
    limit = graft_settings.ADMIN_MAX_ROWS
    if found.rows > limit:
        raise LimitExceeded(
            f"The archive holds {found.rows} records, more than GRAFT['ADMIN_MAX_ROWS'] = "
            f"{limit} allows on the admin's import page. Nothing was done. Import it with "
            "manage.py graft_import, or raise the limit.",
            rows=found.rows,
            limit=limit,
        )
    read = {model for model in found.read() if model_label(model) not in OPEN_TO_READ}
    hidden = sorted((model for model in read if not may_view(user, model)), key=model_label)
    if hidden:
        lacking = sorted({permissions.permission(model, "view") for model in hidden})
        raise PermissionRefused(
            "The archive names models you may not view, or points at rows of them: "
            f"{', '.join(model_label(model) for model in hidden)}. Nothing was read from "
            "the database and nothing was written. Ask for the view permission on each, "
            "or for someone who has it to import the archive.",
            lacking=lacking,
        )


#: Tables no import from the admin writes, whoever asks: records of what
#: happened, which their own admin pages keep read-only (an import page that
#: wrote them would let anyone holding their add permission rewrite history,
#: and the audit log says whose archives each user may read).
RECORDS = ("django_graft.graftlog", "admin.logentry")
#: Tables besides groups and permissions whose rows confer power: content
#: types name every permission (renaming one renames them all); a session
#: row is someone's login.
POWERFUL = ("contenttypes.contenttype", "sessions.session")
#: Why a row of one of :data:`POWERFUL` needs a superuser, in its message.
_POWER = {
    "contenttypes.contenttype": "which name every permission",
    "sessions.session": "which are logins",
}


def _installed(labels: Iterable[str]) -> set[type[Model]]:
    found = set()
    for label in labels:
        try:
            found.add(apps.get_model(label))
        except LookupError:
            continue  # the app is not installed
    return found


def _privileged_tables() -> set[type[Model]]:
    """Groups, permissions and the tables that hand them out (users have their own rule)."""
    # contrib.auth's models load only where it is installed (and its registry ready).
    from django.contrib.auth.models import Group, Permission

    tables: set[type[Model]] = {Group, Permission, *_installed(POWERFUL)}
    fields: list[Any] = [Group._meta.get_field("permissions")]
    for name in ("groups", "user_permissions"):
        found = next((f for f in get_user_model()._meta.get_fields() if f.name == name), None)
        if isinstance(found, ManyToManyField):
            fields.append(found)
    tables.update(concrete(field.remote_field.through) for field in fields)
    return tables


def _shown(label: str, keys: Iterable[Any]) -> str:
    ordered = sorted(keys, key=key_order)
    named = ", ".join(f"{label} {key!r}" for key in ordered[:_SHOWN])
    more = len(ordered) - _SHOWN
    return named + (f" and {more} more" if more > 0 else "")


class AdminAuthoriser:
    """The ``authorise`` hook of an admin import: raise what ``user`` lacks, if anything."""

    def __init__(self, user: Any) -> None:
        self.user = user

    def __call__(self, intent: ImportIntent) -> None:
        lacking = self.lacking(intent)
        if lacking:
            raise PermissionRefused(
                "You may not import this archive; you lack: "
                + "; ".join(lacking)
                + ". Nothing was written.",
                lacking=lacking,
            )

    def lacking(self, intent: ImportIntent) -> list[str]:
        """Every permission the import needs that the user does not have, superuser first."""
        pairs: list[tuple[type[Model], str]] = []
        for model, planned in intent.models.items():
            if planned.created:
                pairs.append((model, "add"))
            if planned.updated:
                pairs.append((model, "change"))
            if planned.reads and not planned.writes and not may_view(self.user, model):
                pairs.append((model, "view"))
        pairs.extend((model, "change") for model in intent.relinked)
        needed = permissions.lacking(self.user, permissions.needed(pairs))
        never = self._never(intent)
        if is_superuser(self.user):
            return [*never, *needed]
        return [*never, *self._superuser_only(intent), *needed]

    def _never(self, intent: ImportIntent) -> list[str]:
        """Rows of records that no admin import writes, whoever runs it."""
        records = _installed(RECORDS)
        written = [
            planned.label
            for model, planned in intent.models.items()
            if model in records and planned.writes
        ]
        changed = [model_label(model) for model in intent.relinked if model in records]
        return [
            f"an archive without rows of {label}: a record of what happened, which no "
            "import from the admin writes, whoever runs it (manage.py graft_import does)"
            for label in sorted({*written, *changed})
        ]

    def _superuser_only(self, intent: ImportIntent) -> list[str]:
        """What the import would do that only a superuser may."""
        user_model = concrete(get_user_model())
        tables = _privileged_tables()
        reasons = []
        accounts = intent.models.get(user_model)
        if accounts is not None:
            elevated = _elevated(accounts)
            if elevated:
                reasons.append(
                    "superuser status, to create staff or superuser accounts: "
                    + _shown(accounts.label, elevated)
                )
            if accounts.updated:
                reasons.append(
                    "superuser status, to overwrite existing accounts: "
                    + _shown(accounts.label, accounts.updated.values())
                )
        for model, planned in intent.models.items():
            if model in tables and planned.writes:
                rows = len(planned.created) + len(planned.updated)
                reasons.append(
                    f"superuser status, to write {rows} row(s) of {planned.label}, "
                    + _POWER.get(planned.label, "which grant groups or permissions")
                )
        for model, keys in sorted(intent.relinked.items(), key=lambda i: model_label(i[0])):
            if model is user_model or model in tables:
                reasons.append(
                    "superuser status, to change through link records: "
                    + _shown(model_label(model), keys)
                )
        return reasons


def _elevated(accounts: ModelIntent) -> list[Any]:
    """Archive keys of the accounts it would create staff or superuser."""
    flags = [
        field
        for field in accounts.model._meta.concrete_fields
        if field.name in FLAGS or field.attname in FLAGS
    ]
    if not flags or not accounts.created:
        return []
    return [
        key
        for key, values in accounts.created_rows()
        if any(values.get(f.attname, f.get_default()) for f in flags)
    ]
