"""Where the policy of an operation comes from when none is given."""

from __future__ import annotations

from typing import Any

from django.utils.module_loading import import_string

from .conf import graft_settings
from .exceptions import PolicyError
from .policy import Policy


def load_policy(path: str) -> Policy:
    """Import a policy from a dotted path: a ``Policy`` or a callable returning one."""
    try:
        target = import_string(path)
    except ImportError as exc:
        raise PolicyError(
            f"Cannot import policy '{path}': {exc}. Give the dotted path of a Policy "
            "instance or of a function returning one, e.g. 'myproject.graft.policy'.",
            label=path,
        ) from None
    policy = target() if callable(target) and not isinstance(target, Policy) else target
    if not isinstance(policy, Policy):
        raise PolicyError(
            f"'{path}' is a {type(policy).__name__}, not a django_graft.Policy.",
            label=path,
        )
    return policy


def default_policy() -> Policy:
    """Return the policy named by ``GRAFT["POLICY"]``, or the built-in defaults."""
    configured = graft_settings.POLICY
    if configured is None:
        return Policy()
    if isinstance(configured, Policy):
        return configured
    return load_policy(str(configured))


def gdpr(**options: Any) -> Policy:
    """A policy that keeps credentials out of archives: the preset for personal data.

    The user model's ``password`` (a hash, but a hash of a secret) is left out
    of every export, clone and delete archive; other options are those of
    :class:`~django_graft.Policy`, an ``exclude_fields`` entry for the user
    model adding to the password. Accounts imported from such an archive
    cannot log in until they are given a password (a password reset).
    Use it with ``GRAFT = {"POLICY": "django_graft.policies.gdpr"}``, or
    build one with more exclusions and masks: ``gdpr(mask={...})``.
    """
    from django.contrib.auth import get_user_model

    user = get_user_model()._meta.label
    excluded = {key: list(names) for key, names in options.pop("exclude_fields", {}).items()}
    excluded[user] = ["password", *excluded.get(user, [])]
    return Policy(exclude_fields=excluded, **options)
