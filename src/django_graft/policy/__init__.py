"""Policy: which relations a graph follows and how, and where the policy comes from.

:mod:`.rules` holds :class:`Policy` itself, :mod:`.loading` finds the one an
operation uses when none is given, :mod:`.presets` ready-made ones.
"""

from django_graft.policy.rules import Policy, Rule

__all__ = ["Policy", "Rule"]
