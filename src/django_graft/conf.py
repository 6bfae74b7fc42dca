"""The one place django-graft reads Django settings.

All options live in one dict, ``settings.GRAFT``. Each property reads the
setting on every access, so ``override_settings`` works in tests and nothing
is read at import time.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # Dotted path to a Policy instance, or a callable returning one, used
    # when an operation is given no policy.
    "POLICY": None,
    # Keys per IN-query; None asks the database backend.
    "BATCH_SIZE": None,
    # Rows fetched per round trip while streaming rows out of the database.
    "CHUNK_SIZE": 2_000,
    # The STORAGES alias that ``storage:///name`` (no alias) writes to and reads from.
    "STORAGE": "default",
    # Options per fsspec protocol, passed to the filesystem: {"s3": {"endpoint_url": ...}}.
    "STORAGE_OPTIONS": {},
}


class GraftSettings:
    """Typed, lazy view of ``settings.GRAFT``."""

    def _get(self, name: str) -> Any:
        user = getattr(settings, "GRAFT", None) or {}
        return user.get(name, DEFAULTS[name])

    @property
    def POLICY(self) -> Any:
        return self._get("POLICY")

    @property
    def BATCH_SIZE(self) -> int | None:
        value = self._get("BATCH_SIZE")
        return None if value is None else int(value)

    @property
    def CHUNK_SIZE(self) -> int:
        return int(self._get("CHUNK_SIZE"))

    @property
    def STORAGE(self) -> str:
        return str(self._get("STORAGE"))

    @property
    def STORAGE_OPTIONS(self) -> dict[str, dict[str, Any]]:
        return dict(self._get("STORAGE_OPTIONS"))


graft_settings = GraftSettings()
