"""Where the policy of an operation comes from when none is given: ``GRAFT["POLICY"]``."""

from __future__ import annotations

from django.utils.module_loading import import_string

from django_graft.conf import graft_settings
from django_graft.exceptions import PolicyError
from django_graft.policy.rules import Policy


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
