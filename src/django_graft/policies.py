"""The dotted paths settings written for earlier versions name.

``GRAFT = {"POLICY": "django_graft.policies.gdpr"}`` keeps working; new
settings name :func:`django_graft.policy.presets.gdpr`.
"""

from django_graft.policy.loading import default_policy, load_policy
from django_graft.policy.presets import gdpr

__all__ = ["default_policy", "gdpr", "load_policy"]
