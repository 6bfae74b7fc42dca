"""Translate between models and the ``app_label.Model`` labels users type.

Labels are case-insensitive everywhere: ``Tenants.Meeting`` and
``tenants.meeting`` name the same model, as they do in ``dumpdata``.
"""

from __future__ import annotations

from functools import lru_cache

from django.apps import apps
from django.db.models import Model

from django_graft.exceptions import PolicyError


def model_label(model: type[Model]) -> str:
    """Return the canonical, lower-case label of a model (``app.model``)."""
    return model._meta.label_lower


def concrete(model: type[Model]) -> type[Model]:
    """Return the model whose table holds the rows (proxies map to it)."""
    concrete_model = model._meta.concrete_model
    assert concrete_model is not None
    return concrete_model


@lru_cache(maxsize=1)
def _models_by_label() -> dict[str, type[Model]]:
    return {m._meta.label_lower: m for m in apps.get_models(include_auto_created=True)}


def clear_label_cache() -> None:
    """Forget the label table (used when the app registry changes in tests)."""
    _models_by_label.cache_clear()


def resolve_model(label: str, *, what: str = "model") -> type[Model]:
    """Return the installed model named by ``label`` or raise ``PolicyError``."""
    key = label.strip().lower()
    model = _models_by_label().get(key)
    if model is None:
        if "." not in key:
            hint = "use the form 'app_label.ModelName', e.g. 'auth.User'"
        else:
            hint = "check the spelling and that the app is in INSTALLED_APPS"
        raise PolicyError(f"Unknown {what} '{label}': {hint}.", label=label)
    return model
