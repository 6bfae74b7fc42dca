"""Ready-made policies for common needs."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from django_graft.policy.rules import Policy


def gdpr(**options: Any) -> Policy:
    """A policy that keeps credentials out of archives: the preset for personal data.

    The user model's ``password`` (a hash, but a hash of a secret) is left out
    of every export, clone and delete archive; other options are those of
    :class:`~django_graft.Policy`, an ``exclude_fields`` entry for the user
    model adding to the password. Accounts imported from such an archive
    cannot log in until they are given a password (a password reset).
    Use it with ``GRAFT = {"POLICY": "django_graft.policy.presets.gdpr"}``, or
    build one with more exclusions and masks: ``gdpr(mask={...})``.
    """
    user = get_user_model()._meta.label
    excluded = {key: list(names) for key, names in options.pop("exclude_fields", {}).items()}
    excluded[user] = ["password", *excluded.get(user, [])]
    return Policy(exclude_fields=excluded, **options)
