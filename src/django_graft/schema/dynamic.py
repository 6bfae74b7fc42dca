"""Dynamic links: keys of other rows a column holds without being a foreign key.

Applications keep ids where the schema does not see them: inside a JSON
field (``{"product_ids": [3, 7]}``, ``{"default_meeting": 12}``), in a plain
integer or text column, or as an ``object_id`` beside a content type or a
model label, without a ``GenericForeignKey``. A policy declares such a link
(``Policy(dynamic_edges=...)``); this module describes one and reads the
keys it holds out of a value, and puts other keys in their place. Nothing
here queries the database.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model

from django_graft.db.integers import portable_range
from django_graft.schema.fieldtypes import INTEGER_TYPES, stored_type
from django_graft.schema.jsonpath import JsonPath


class NotAKey(ValueError):
    """A value at a declared place that is not a key of the target model; the message says why."""


@dataclass(frozen=True)
class DynamicLink:
    """Where one declared dynamic edge keeps its keys, and what they are keys of.

    ``field`` is the column holding the keys; ``path`` the places inside its
    JSON value (``None``: the column's value is the key). The target model
    is ``target``, or, row by row, the model named by the ``type_field``
    column: a foreign key to ``ContentType`` or a text column holding a
    model label (``"app_label.model"``).
    """

    field: Any
    path: JsonPath | None
    target: type[Model] | None
    type_field: Any = None

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns a row is read with to follow the link."""
        if self.type_field is None:
            return (self.field.attname,)
        return (self.field.attname, self.type_field.attname)

    @property
    def where(self) -> str:
        """The place named in messages: ``settings $.default_meeting``, or the column."""
        return self.field.name if self.path is None else f"{self.field.name} {self.path}"

    @property
    def by_content_type(self) -> bool:
        return self.type_field is not None and self.type_field.is_relation

    def keys_in(self, value: Any) -> list[Any]:
        """The raw values at the link's places in a column's ``value`` (``None`` left out)."""
        if value is None:
            return []
        if self.path is None:
            return [value]
        return [item for item in self.path.find(value) if item is not None]

    def rewrite(self, value: Any, change: Callable[[Any], Any]) -> Any:
        """``value`` with ``change(raw)`` in each of the link's places; the rest as it was.

        ``change`` is given the ``None`` of an empty place too, and returns it.
        """
        if value is None:
            return None
        if self.path is None:
            return change(value)
        return self.path.rewrite(value, change)


def key_of(link: DynamicLink, target: type[Model], raw: Any) -> Any:
    """The key of ``target`` that ``raw``, found at one of ``link``'s places, names.

    Inside JSON, strict about JSON's types: an integer key is a number
    without a fraction or a string of digits (``true`` is not 1, ``1.5`` no
    key); any other key is a string the key field reads. A plain column's
    value is read by the key field as it is.
    """
    pk: Any = target._meta.pk
    if isinstance(raw, bool | float | dict | list):
        raise NotAKey(f"its keys are {_kind(pk)}")
    kind = stored_type(pk)
    integer = kind in INTEGER_TYPES
    if link.path is not None:
        if integer and not (isinstance(raw, int) or _DIGITS.fullmatch(str(raw))):
            raise NotAKey(f"its keys are {_kind(pk)}")
        if not integer and not isinstance(raw, str):
            raise NotAKey(f"its keys are {_kind(pk)}")
    try:
        key = pk.to_python(raw)
    except (ValidationError, TypeError, ValueError) as exc:
        reason = "; ".join(getattr(exc, "messages", [str(exc)]))
        raise NotAKey(reason) from None
    bounds = portable_range(kind) if integer else None
    if bounds is not None and not bounds[0] <= key <= bounds[1]:
        raise NotAKey(f"its keys are from {bounds[0]} to {bounds[1]}")
    return key


#: An integer key written as text: ASCII digits, an optional minus sign, nothing else.
_DIGITS = re.compile(r"-?[0-9]+")


@cache
def key_reader(link: DynamicLink, target: type[Model]) -> Callable[[Any], Any]:
    """:func:`key_of` for one link and target, with a short way for the common integer key."""
    kind = stored_type(target._meta.pk)
    if kind not in INTEGER_TYPES:
        return partial(key_of, link, target)
    low, high = portable_range(kind) or (-(2**63), 2**63 - 1)

    def read(raw: Any) -> Any:
        return raw if type(raw) is int and low <= raw <= high else key_of(link, target, raw)

    return read


def _kind(pk: Any) -> str:
    return "integers" if stored_type(pk) in INTEGER_TYPES else "strings"


def written_like(link: DynamicLink, raw: Any, key: Any) -> Any:
    """``key`` as the place that held ``raw`` holds keys.

    In JSON a number stays a number and text text; a plain column takes the
    value as its own field reads it.
    """
    if link.path is None:
        return link.field.to_python(key)
    if isinstance(raw, int):
        return int(key)
    return str(key)
