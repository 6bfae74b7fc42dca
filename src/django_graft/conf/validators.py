"""How each value of ``settings.GRAFT`` is checked: what is wrong with it, or None."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.storage import storages


def positive_int(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return f"must be a positive integer, not {value!r}"
    return None


def optional_positive_int(value: Any) -> str | None:
    return None if value is None else positive_int(value)


def policy(value: Any) -> str | None:
    # A dotted path is imported and the policy loaded by the system check
    # (django_graft.checks), which can import the policy package; here only
    # what needs no import is judged.
    if value is None or isinstance(value, str) or type(value).__name__ == "Policy":
        return None
    return f"must be a dotted path to a Policy, or a Policy, not {value!r}"


def _alias(value: Any, aliases: Any, setting: str) -> str | None:
    """What is wrong with ``value`` as the name of one of ``aliases`` (``settings.<setting>``)."""
    if not isinstance(value, str):
        return f"must be the name of a {setting} alias, not {value!r}"
    if value not in aliases:
        known = ", ".join(sorted(aliases)) or "none"
        return f"names '{value}', which is not in settings.{setting} (configured: {known})"
    return None


def storage(value: Any) -> str | None:
    return _alias(value, storages.backends, "STORAGES")


def storage_options(value: Any) -> str | None:
    if not isinstance(value, dict) or not all(
        isinstance(protocol, str) and isinstance(options, dict)
        for protocol, options in value.items()
    ):
        return 'must map fsspec protocols to dicts of options: {"s3": {"endpoint_url": ...}}'
    return None


def boolean(value: Any) -> str | None:
    return None if isinstance(value, bool) else f"must be True or False, not {value!r}"


def installation_id(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not 1 <= len(value) <= 64 or not value.isprintable():
        return f"must be None or a printable string of 1 to 64 characters, not {value!r}"
    return None


def cache(value: Any) -> str | None:
    return _alias(value, settings.CACHES, "CACHES")


def optional_storage(value: Any) -> str | None:
    return None if value is None else storage(value)


def _secret(value: Any) -> bool:
    return isinstance(value, str | bytes) and len(value) > 0


def signing_key(value: Any) -> str | None:
    # The value itself is never repeated: it is a secret.
    if value is None or _secret(value):
        return None
    if isinstance(value, str | bytes):
        return "must not be empty (None signs with SECRET_KEY)"
    return f"must be None or a string (or bytes), not {type(value).__name__}"


def signing_key_fallbacks(value: Any) -> str | None:
    if isinstance(value, list | tuple) and all(map(_secret, value)):
        return None
    return "must be a list of non-empty strings (or bytes)"
