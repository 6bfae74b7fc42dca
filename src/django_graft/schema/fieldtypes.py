"""What kind of value a column holds, seen through foreign keys."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from django.db import models
from django.utils.encoding import is_protected_type

from django_graft.db.fieldclasses import django_field_classes

#: Internal types of integer columns.
INTEGER_TYPES = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "SmallAutoField",
        "IntegerField",
        "BigIntegerField",
        "SmallIntegerField",
        "PositiveIntegerField",
        "PositiveBigIntegerField",
        "PositiveSmallIntegerField",
    }
)


def stored_type(field: Any) -> str:
    """The internal type of the column ``field`` stores (a foreign key: its target's)."""
    while field.remote_field is not None and hasattr(field, "target_field"):
        field = field.target_field
    return str(field.get_internal_type())


def column_field(field: Any) -> Any:
    """The field whose values a column holds: a plain foreign key's target field."""
    while type(field) in (models.ForeignKey, models.OneToOneField):
        field = field.target_field
    return field


def converts_itself(field: Any) -> bool:
    """Whether ``field``'s values go through its own conversions, as Django's serializers do.

    True for every field class Django does not ship (subclasses of its own
    included, which may convert values their own way): its values are
    written with ``value_to_string()`` and read back with ``to_python()``.
    Django's own classes are written as they come from the database.
    """
    return type(column_field(field)) not in django_field_classes()


def as_text(field: Any) -> Callable[[Any], Any]:
    """Write a value of ``field`` as Django's serializers do.

    Values of the types they keep as they are (numbers, dates, ``None``)
    stay; any other goes through the field's ``value_to_string()``, which
    reads it from an object, so the value is handed over on one.
    """
    attname = field.attname
    to_string = field.value_to_string
    kept_as_is: Callable[[Any], bool] = is_protected_type

    def encode(value: Any) -> Any:
        if kept_as_is(value):
            return value
        return to_string(SimpleNamespace(**{attname: value}))

    return encode


def archived_key(model: Any, key: Any) -> Any:
    """A primary key as an archive holds it: a list for a composite key, text for a custom type."""
    pk = model._meta.pk
    if hasattr(pk, "fields"):
        return list(key)
    return as_text(pk)(key) if converts_itself(pk) else key


#: Internal types whose values are lists or objects in an archive or fixture.
CONTAINER_TYPES = frozenset({"JSONField", "ArrayField", "HStoreField"})

#: Internal types whose values are text (a ``TextField``'s ``max_length`` is
#: only for forms; the others' bounds the column).
TEXT_TYPES = frozenset(
    {
        "CharField",
        "TextField",
        "SlugField",
        "EmailField",
        "URLField",
        "FilePathField",
        "FileField",
        "ImageField",
        "GenericIPAddressField",
        "IPAddressField",
    }
)
