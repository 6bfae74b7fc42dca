"""Whole-database snapshots, to show an operation changed exactly what it should."""

from __future__ import annotations

from typing import Any

from django.apps import apps

from django_graft.schema.labels import model_label


def counts() -> dict[str, int]:
    """Rows per model of the zoo."""
    return {
        model_label(model): model._base_manager.count()
        for model in apps.get_app_config("testapp").get_models(include_auto_created=True)
        if not model._meta.proxy
    }


def every_table(using: str = "default") -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, sorted; but the audit log, which commands add to."""
    return {
        model_label(model): sorted(model._base_manager.using(using).values_list(), key=repr)
        for model in apps.get_models(include_auto_created=True)
        if not model._meta.proxy and model._meta.app_label != "django_graft"
    }
