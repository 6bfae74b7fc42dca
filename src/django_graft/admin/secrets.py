"""What an export made from the admin leaves out: password hashes and the policy's secrets.

The view permission is enough to export from the admin, and it must not
hand out every account's password hash, nor the tokens and keys a policy
marks ``secret_fields``. Unless ``GRAFT["ADMIN_EXPORT_SECRETS"]`` is True,
the admin's exports (in the request and in the background) run under the
policy with those fields added to its ``exclude_fields``, and the preview
names them. The commands and the Python API export everything: whoever
runs them holds the database already.
"""

from __future__ import annotations

from django.apps import apps
from django.db.models import Model

from django_graft.conf import graft_settings
from django_graft.policy.rules import Policy
from django_graft.schema.labels import model_label
from django_graft.tree.graph import Graph

#: The field of a user model (anything built on AbstractBaseUser) that holds the hash.
PASSWORD = "password"


def password_fields(model: type[Model]) -> frozenset[str]:
    """``{"password"}`` for a model built on ``AbstractBaseUser`` that stores it, else nothing."""
    # contrib.auth's models load only where it is installed (and its registry ready).
    from django.contrib.auth.base_user import AbstractBaseUser

    if not issubclass(model, AbstractBaseUser):
        return frozenset()
    # Stored by this model itself: a multi-table child's rows carry their parent's
    # password in the parent's rows, which are left out there.
    own = {field.name for field in model._meta.local_concrete_fields}
    return frozenset({PASSWORD} & own)


def secret_fields(model: type[Model], policy: Policy) -> frozenset[str]:
    """The fields of ``model`` an admin export leaves out, when the settings say nothing."""
    return password_fields(model) | policy.secret_fields(model)


def withheld(graph: Graph) -> list[str]:
    """``app_label.model.field`` of each field the admin's export of ``graph`` leaves out.

    Fields the policy excludes from every export are not named: they are never
    exported, from the admin or elsewhere.
    """
    if graft_settings.ADMIN_EXPORT_SECRETS:
        return []
    policy = graph.policy
    return [
        f"{model_label(model)}.{name}"
        for model in sorted({*graph.owned, *graph.needed}, key=model_label)
        for name in sorted(secret_fields(model, policy) - policy.excluded_fields(model))
    ]


def export_policy(policy: Policy) -> Policy:
    """``policy`` as an admin export runs it: without the secret fields, unless let through."""
    if graft_settings.ADMIN_EXPORT_SECRETS:
        return policy
    left_out = {
        model_label(model): sorted(fields)
        for model in apps.get_models()
        if not model._meta.proxy and (fields := secret_fields(model, policy))
    }
    return policy.extend(exclude_fields=left_out) if left_out else policy
