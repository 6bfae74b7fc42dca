"""The field classes Django ships, told apart from those of projects and other apps."""

from __future__ import annotations

from functools import cache

from django.db import models

# order_with_respect_to's column. Django does not export the class from
# django.db.models; tests/db/test_fieldclasses.py fails if it moves.
from django.db.models.fields.proxy import OrderWrt


@cache
def django_field_classes() -> frozenset[type]:
    """Every field class ``django.db.models`` exports, ``OrderWrt`` and PostgreSQL's containers."""
    classes = {
        value
        for value in vars(models).values()
        if isinstance(value, type) and issubclass(value, models.Field)
    }
    classes.add(OrderWrt)
    try:
        from django.contrib.postgres import fields as postgres
    except ImportError:  # pragma: no cover - psycopg not installed
        pass
    else:
        classes.update({postgres.ArrayField, postgres.HStoreField})
    return frozenset(classes)
