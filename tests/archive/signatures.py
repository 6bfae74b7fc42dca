"""Archive signatures made from the documented formula, sharing no code with django-graft.

``salted_hmac(salt, value, secret=secret, algorithm="sha256")`` is, by
Django's definition, HMAC-SHA256 of ``value`` keyed by
``sha256(salt + secret)``; it is spelled out here so that the tests check
the format the docs promise, not the package's own reading of it.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from django.conf import settings

SALT = b"django_graft.archive.signing"


def signature_of(digest: str, secret: str | bytes | None = None) -> str:
    """The trailer signature of sha256 ``digest`` under ``secret`` (default: SECRET_KEY)."""
    secret = settings.SECRET_KEY if secret is None else secret
    raw = secret.encode() if isinstance(secret, str) else secret
    key = hashlib.sha256(SALT + raw).digest()
    return "hmac-sha256:" + hmac.new(key, digest.encode(), hashlib.sha256).hexdigest()


def with_trailer(data: bytes, change: Any) -> bytes:
    """The archive ``data`` (uncompressed) with ``change(trailer)`` applied to its trailer."""
    import json

    body, _, last = data.rstrip(b"\n").rpartition(b"\n")
    trailer = json.loads(last)
    change(trailer)
    return body + b"\n" + json.dumps(trailer).encode() + b"\n"


def trailer_of(data: bytes) -> dict[str, Any]:
    import json

    result: dict[str, Any] = json.loads(data.rstrip(b"\n").rpartition(b"\n")[2])
    return result
