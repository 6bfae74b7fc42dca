"""The model permissions an operation on a graph needs, and those a user lacks.

An operation touches more models than the one it starts from; a user may
run it only with the right permission on every one of them:

- export reads every owned and needed row: ``view`` on each model;
- clone reads the needed rows and adds copies of the owned ones: ``view``
  on the needed models, ``add`` on the owned ones;
- delete removes the owned rows and changes the outside rows whose foreign
  keys are set to NULL or a default: ``delete`` on the owned models,
  ``change`` on the models of those outside rows;
- import adds, updates or matches the rows of an archive: ``add`` on every
  model it creates rows of, ``change`` on every model it updates, ``view``
  on every model it only matches.

The rows of an auto-created many-to-many table have no permissions of their
own; as in the admin, they need ``change`` on the model declaring the field.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_permission_codename
from django.db.models import ManyToManyField, Model

from django_graft.tree.graph import Graph


def _holder(model: type[Model]) -> tuple[type[Model], str | None]:
    """The model whose permission stands for ``model``'s, and the action it forces."""
    if model._meta.auto_created:
        for field in model._meta.get_fields():
            remote: Any = getattr(field, "remote_field", None)
            if field.is_relation and field.many_to_one and remote is not None:
                declaring: Any = field.related_model
                for m2m in declaring._meta.local_many_to_many:
                    if isinstance(m2m, ManyToManyField) and m2m.remote_field.through is model:
                        return declaring, "change"
    return model, None


def permission(model: type[Model], action: str) -> str:
    """``app_label.codename`` of ``action`` ("view", "add", "change", "delete") on ``model``."""
    holder, forced = _holder(model)
    opts = holder._meta
    return f"{opts.app_label}.{get_permission_codename(forced or action, opts)}"


def needed(pairs: Iterable[tuple[type[Model], str]]) -> list[str]:
    """The permissions for ``(model, action)`` pairs, sorted and without repeats."""
    return sorted({permission(model, action) for model, action in pairs})


def for_export(graph: Graph) -> list[str]:
    return needed((model, "view") for model in [*graph.owned, *graph.needed])


def for_clone(graph: Graph) -> list[str]:
    return needed(
        [*((model, "view") for model in graph.needed), *((model, "add") for model in graph.owned)]
    )


def for_delete(graph: Graph, changed: Iterable[type[Model]] = ()) -> list[str]:
    """``changed``: the models of outside rows whose foreign keys the delete changes."""
    return needed(
        [*((model, "delete") for model in graph.owned), *((model, "change") for model in changed)]
    )


def lacking(user: Any, permissions: Iterable[str]) -> list[str]:
    """Those of ``permissions`` that ``user`` does not have."""
    return [name for name in permissions if not user.has_perm(name)]
