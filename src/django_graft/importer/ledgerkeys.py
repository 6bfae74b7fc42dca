"""How the sync ledger writes keys down and reads them back.

Keys are kept as archives write them (JSON), so that any key type goes in
and comes back as the model's own values. An integer key must read back as
SQLite compares it with the key column: written in ASCII digits, or else a
JSON integer within 64 bits. ``int()`` alone would take "0_1" or "+1", and
the key field "1.5", for another row's key.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Sequence
from typing import Any

from django.db.models import Model

from django_graft.db.keyspan import within_64_bits
from django_graft.exceptions import PolicyError
from django_graft.importer.scalars import key_decoder
from django_graft.schema.fieldtypes import INTEGER_TYPES, stored_type
from django_graft.schema.labels import concrete, resolve_model


class UnreadableEntry(ValueError):
    """An entry whose keys are not keys of its model."""

    def __init__(self, source_key: str, target_key: str, reason: str) -> None:
        super().__init__(reason)
        self.source_key, self.target_key, self.reason = source_key, target_key, reason


def entry_keys(
    model: type[Model], source_keys: Sequence[str], target_keys: Sequence[str]
) -> tuple[list[Any], list[Any]]:
    """The archive keys and the keys here of a model's entries, decoded.

    Raises :class:`UnreadableEntry` naming the first entry that does not read.
    """
    read: Callable[[str], Any]
    if integer_key(model):
        digits = "".join(source_keys) + "".join(target_keys)
        if digits.isascii() and digits.isdigit():  # 0 to 9 only: in one step per column
            with contextlib.suppress(ValueError):  # an empty key: named below
                keys, targets = list(map(int, source_keys)), list(map(int, target_keys))
                if within_64_bits(keys) and within_64_bits(targets):
                    return keys, targets
        read = _json_integer  # the entry at fault is named below
    else:
        decode = key_decoder(model)
        read = lambda text: decode(parsed_key(text))  # noqa: E731
    keys, targets = [], []
    for source_key, target_key in zip(source_keys, target_keys, strict=True):
        try:
            keys.append(read(source_key))
            targets.append(read(target_key))
        except (ValueError, TypeError, OverflowError) as exc:
            raise UnreadableEntry(source_key, target_key, str(exc)) from None
    return keys, targets


def key_text(key: Any) -> str:
    """A key (as an archive holds it) as the ledger writes it down."""
    if type(key) is int:  # most keys: as JSON writes them, without the encoder
        return str(key)
    return json.dumps(key, separators=(",", ":"), sort_keys=True, default=str)


def parsed_key(text: str) -> Any:
    """A key the ledger wrote down, as an archive holds it."""
    try:  # most keys are integers: read without the JSON parser
        return int(text)
    except ValueError:
        return json.loads(text)


def integer_key(model: type[Model]) -> bool:
    """Whether ``model``'s key is one integer column."""
    pk: Any = model._meta.pk
    return not hasattr(pk, "fields") and stored_type(pk) in INTEGER_TYPES


def integer_label(label: str) -> bool:
    """Whether the model a ledger names has one integer column as its key (or is gone)."""
    try:
        return integer_key(concrete(resolve_model(label)))
    except PolicyError:
        return True  # a model this project no longer has: its entries are not read


def _json_integer(text: str) -> int:
    value = json.loads(text)
    if type(value) is not int:
        raise ValueError(f"{type(value).__name__}, not an integer")
    if not within_64_bits([value]):
        raise ValueError("past the 64 bits of every database's integer keys")
    return value
