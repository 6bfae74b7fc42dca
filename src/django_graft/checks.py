"""System checks: the settings, the apps django-graft needs, and relations no policy decides.

Errors (``graft.E001``...) stop ``manage.py`` commands before they run, so
a bad setting is reported once, with its fix, rather than half way through
an export. The warning ``graft.W001`` (with ``check --deploy`` or
``graft_inspect --check``) names each relation whose treatment comes from
the default rule rather than from ``on_delete`` or the policy;
``graft.W030`` and ``graft.W031`` say when the archives the admin writes
would land in a storage not its own, or in one served publicly.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig, apps
from django.core import checks
from django.core.checks import CheckMessage
from django.core.files.storage import InvalidStorageError

from django_graft.conf import SETTINGS, user_settings
from django_graft.exceptions import GraftError, PolicyError
from django_graft.policy.loading import default_policy
from django_graft.policy.rules import Rule, default_rule
from django_graft.schema.edges import EdgeKind, edges_of

E_NOT_A_DICT = "graft.E001"
E_UNKNOWN_SETTING = "graft.E002"
E_CONTENTTYPES = "graft.E010"
W_UNCLASSIFIED = "graft.W001"
W_SHARED_ADMIN_STORAGE = "graft.W030"
W_PUBLIC_ADMIN_STORAGE = "graft.W031"

#: Every check id, with what it reports (for the reference documentation).
CHECK_IDS: dict[str, str] = {
    E_NOT_A_DICT: "settings.GRAFT is not a dict.",
    E_UNKNOWN_SETTING: "settings.GRAFT has a key django-graft does not know (a typo, usually).",
    **{s.check_id: f"GRAFT['{s.name}'] has an invalid value." for s in SETTINGS.values()},
    E_CONTENTTYPES: "django.contrib.contenttypes is not in INSTALLED_APPS.",
    W_UNCLASSIFIED: "A relation that the policy does not classify is left out of every tree.",
    W_SHARED_ADMIN_STORAGE: "The admin's archives go to GRAFT['STORAGE']: no storage of their "
    "own (GRAFT['ADMIN_STORAGE'], or a STORAGES alias 'graft').",
    W_PUBLIC_ADMIN_STORAGE: "The admin's archives would land in a storage that is served publicly.",
}


@checks.register()
def check_settings(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    given = user_settings()
    if not isinstance(given, dict):
        return [
            checks.Error(
                f"settings.GRAFT must be a dict, not {type(given).__name__}.",
                hint='Write it as GRAFT = {"POLICY": "myproject.graft.policy", ...}.',
                id=E_NOT_A_DICT,
            )
        ]
    errors: list[CheckMessage] = []
    for name in sorted(set(given) - set(SETTINGS), key=str):
        close = difflib.get_close_matches(str(name), list(SETTINGS), n=1)
        errors.append(
            checks.Error(
                f"settings.GRAFT has an unknown key {name!r}.",
                hint=(f"Did you mean '{close[0]}'? " if close else "")
                + f"The keys are: {', '.join(SETTINGS)}.",
                id=E_UNKNOWN_SETTING,
            )
        )
    for setting in SETTINGS.values():
        if setting.name not in given:
            continue
        problem = setting.validate(given[setting.name])
        if problem:
            errors.append(
                checks.Error(
                    f"GRAFT['{setting.name}'] {problem}.".replace("..", "."),
                    hint=setting.help,
                    id=setting.check_id,
                )
            )
    if "POLICY" in given and not any(e.id == SETTINGS["POLICY"].check_id for e in errors):
        try:
            default_policy()
        except PolicyError as exc:
            errors.append(
                checks.Error(
                    f"GRAFT['POLICY'] {exc.message}",
                    hint=SETTINGS["POLICY"].help,
                    id=SETTINGS["POLICY"].check_id,
                )
            )
    if not apps.is_installed("django.contrib.contenttypes"):
        errors.append(
            checks.Error(
                "django-graft needs django.contrib.contenttypes.",
                hint="Add 'django.contrib.contenttypes' to INSTALLED_APPS.",
                id=E_CONTENTTYPES,
            )
        )
    return errors


# A deploy check too: leaving SET_NULL / PROTECT rows out of a tree is the
# documented default, not a mistake to repeat on every manage.py command.
# graft_inspect --check asks for it by itself.
@checks.register(deploy=True)
def check_relations(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    """Warn about each reverse relation left out only because nothing says otherwise."""
    if check_settings():
        return []  # the policy setting itself is wrong: reported above
    try:
        policy = default_policy()
    except GraftError:
        return []
    warnings: list[CheckMessage] = []
    configs = app_configs or apps.get_app_configs()
    for model in (m for config in configs for m in config.get_models()):
        if model._meta.proxy or policy.is_reference(model):
            continue
        for edge in edges_of(model):
            if (
                edge.kind is EdgeKind.REVERSE
                # related_name="+" says no one walks back along it: decided already.
                and not (edge.fk.remote_field.related_name or "").endswith("+")
                and not policy.is_reference(edge.fk.model)
                and default_rule(edge) is Rule.SKIP
                and not policy.decides(edge)
            ):
                action = getattr(edge.on_delete, "__name__", str(edge.on_delete))
                warnings.append(
                    checks.Warning(
                        f"{edge.label}: rows of {edge.fk.model._meta.label_lower} that point "
                        f"at {model._meta.label_lower} ({action}) are left out of every tree, "
                        "because the policy does not say whether they belong to it.",
                        hint=f"Decide in the policy: edges={{'{edge.label}': 'own'}} to take "
                        f"them along, or 'skip' to confirm leaving them out.",
                        obj=model,
                        id=W_UNCLASSIFIED,
                    )
                )
    return warnings


# A deploy check, as Django's own security warnings are: a fresh project has no
# storage of its own for archives, and saying so on every command is noise.
@checks.register(checks.Tags.security, deploy=True)
def check_admin_storage(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    """Warn when the archives the admin writes would land where others can read them."""
    if check_settings() or not apps.is_installed("django.contrib.admin"):
        return []  # a storage setting itself is wrong (reported above), or no admin

    # The admin package loads django.contrib.admin: only once it is known installed.
    from django_graft.admin import archives

    warnings: list[CheckMessage] = []
    alias = archives.alias()
    if not archives.dedicated():
        warnings.append(
            checks.Warning(
                f"The archives the admin writes and its uploads go to GRAFT['STORAGE'] "
                f"('{alias}'), which has no room of its own for them.",
                hint="Add a STORAGES alias 'graft' (or name one in GRAFT['ADMIN_STORAGE']) "
                "whose files the web server does not serve.",
                id=W_SHARED_ADMIN_STORAGE,
            )
        )
    try:
        reason = archives.served_publicly(archives.storage())
    except InvalidStorageError:
        return warnings
    if reason:
        warnings.append(
            checks.Warning(
                f"The archives the admin writes (password hashes and all) would land in the "
                f"storage '{alias}', which looks served publicly: {reason}.",
                hint="Give GRAFT['ADMIN_STORAGE'] a storage outside MEDIA_ROOT and STATIC_ROOT, "
                "with no base URL (or signed URLs).",
                id=W_PUBLIC_ADMIN_STORAGE,
            )
        )
    return warnings
