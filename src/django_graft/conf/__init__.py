"""The one place django-graft reads Django settings: ``settings.GRAFT``, a dict.

Every key is declared once in :data:`SETTINGS`, with its default, what it
means and how a value is checked. :data:`graft_settings` reads the dict on
every access, so ``override_settings`` works in tests and nothing is read at
import time; the system checks (:mod:`django_graft.checks`) report a bad
value with the setting's own check id before any command runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from django_graft.conf.validators import (
    boolean,
    cache,
    installation_id,
    optional_positive_int,
    optional_storage,
    policy,
    positive_int,
    signing_key,
    signing_key_fallbacks,
    storage,
    storage_options,
)


@dataclass(frozen=True)
class Setting:
    """One key of ``settings.GRAFT``."""

    name: str
    default: Any
    #: What it does, for the reference documentation and the check hints.
    help: str
    #: The system check that reports a bad value.
    check_id: str
    #: Returns what is wrong with a value, or None.
    validate: Callable[[Any], str | None]


SETTINGS: dict[str, Setting] = {
    setting.name: setting
    for setting in (
        Setting(
            "POLICY",
            None,
            "Dotted path to a Policy instance, or to a function returning one, used when an "
            "operation is given no policy. None: the built-in defaults.",
            "graft.E003",
            policy,
        ),
        Setting(
            "BATCH_SIZE",
            None,
            "Keys per IN-query. None: as many as the database backend accepts.",
            "graft.E004",
            optional_positive_int,
        ),
        Setting(
            "CHUNK_SIZE",
            2_000,
            "Rows fetched per round trip while streaming rows out of the database.",
            "graft.E005",
            positive_int,
        ),
        Setting(
            "SERVER_SIDE_KEYS",
            50_000,
            "Past this many keys of one model, an export or a delete keeps them in a "
            "temporary table of the database and walks and reads them by joins, so memory "
            "stays flat however large the tree. None: every key in Python.",
            "graft.E017",
            optional_positive_int,
        ),
        Setting(
            "STORAGE",
            "default",
            "The STORAGES alias that storage:///name (no alias) writes to and reads from.",
            "graft.E006",
            storage,
        ),
        Setting(
            "STORAGE_OPTIONS",
            {},
            "Options per fsspec protocol, passed to the filesystem: "
            '{"s3": {"endpoint_url": ..., "default_block_size": ...}}.',
            "graft.E007",
            storage_options,
        ),
        Setting(
            "PROGRESS",
            True,
            "Show progress bars on standard error when it is a terminal.",
            "graft.E008",
            boolean,
        ),
        Setting(
            "ADMIN_ACTIONS",
            False,
            "Add the actions export, clone and delete with related objects to every model "
            "of the default admin site (GraftAdminMixin adds them to one ModelAdmin).",
            "graft.E011",
            boolean,
        ),
        Setting(
            "MAX_UPLOAD_BYTES",
            100 * 2**20,
            "The largest archive the admin's import page accepts as an upload; a larger "
            "request is refused before it is read.",
            "graft.E012",
            positive_int,
        ),
        Setting(
            "BACKGROUND_ROWS",
            10_000,
            "Admin operations on more rows than this run as django.tasks tasks, when the "
            "project configures TASKS (Django 6.0+); smaller ones run in the request.",
            "graft.E013",
            positive_int,
        ),
        Setting(
            "PROGRESS_CACHE",
            "default",
            "The CACHES alias a background admin job reports its progress to and its page "
            "reads it from; it must be shared by the web and worker processes.",
            "graft.E033",
            cache,
        ),
        Setting(
            "MAX_ARCHIVE_BYTES",
            16 * 2**30,
            "The most bytes an archive or fixture may hold once decompressed; reading stops "
            "there (a compression bomb stops there too).",
            "graft.E014",
            positive_int,
        ),
        Setting(
            "MAX_LINE_BYTES",
            32 * 2**20,
            "The longest line an archive (or JSON Lines fixture) may have; a longer one is "
            "refused without being read whole.",
            "graft.E015",
            positive_int,
        ),
        Setting(
            "MAX_DEPTH",
            100,
            "The deepest nesting of lists and objects a JSON field's value may have.",
            "graft.E016",
            positive_int,
        ),
        Setting(
            "ADMIN_MAX_ROWS",
            1_000_000,
            "The most records (rows, references, link records) an archive or fixture may "
            "hold for the admin's import page; a larger one is refused from a first read, "
            "before anything is planned.",
            "graft.E025",
            positive_int,
        ),
        Setting(
            "MAX_ROWS",
            None,
            "Refuse to export, import, clone or delete more rows than this in one operation. "
            "None: no limit.",
            "graft.E009",
            optional_positive_int,
        ),
        Setting(
            "ADMIN_EXPORT_SECRETS",
            False,
            "Let exports made from the admin carry password hashes and the fields the policy "
            "marks secret_fields; by default they are left out (commands and the Python API "
            "always carry them).",
            "graft.E030",
            boolean,
        ),
        Setting(
            "ADMIN_STORAGE",
            None,
            "The STORAGES alias the admin writes archives to (delete's archive, exports run "
            "in the background) and its import page reads from: one not served publicly. "
            "None: the alias 'graft' when STORAGES has it, else GRAFT['STORAGE'] (with a "
            "warning, graft.W030).",
            "graft.E031",
            optional_storage,
        ),
        Setting(
            "UPLOAD_TTL",
            24 * 60 * 60,
            "Seconds an archive uploaded to the admin's import page is kept when its import "
            "is never confirmed; manage.py graft_cleanup (and the import page) removes older "
            "ones.",
            "graft.E032",
            positive_int,
        ),
        Setting(
            "SIGNING_KEY",
            None,
            "The secret archives are signed with (an HMAC of their sha256). None: SECRET_KEY. "
            "Keep it as secret as SECRET_KEY.",
            "graft.E040",
            signing_key,
        ),
        Setting(
            "SIGNING_KEY_FALLBACKS",
            [],
            "Older signing secrets whose signatures are still accepted, as "
            "SECRET_KEY_FALLBACKS (which are accepted too while SIGNING_KEY is None).",
            "graft.E041",
            signing_key_fallbacks,
        ),
        Setting(
            "INSTALLATION_ID",
            None,
            "The name archives give the installation they were exported from, by which a "
            "sync recognises the rows it created from the same source. None: an id generated "
            "once and kept in the database (the django_graft_installation table).",
            "graft.E050",
            installation_id,
        ),
        Setting(
            "ADMIN_IMPORT_REQUIRE_SIGNED",
            True,
            "Only superusers may import, from the admin, an archive this installation did "
            "not sign, or a fixture.",
            "graft.E042",
            boolean,
        ),
    )
}


def user_settings() -> Any:
    """``settings.GRAFT`` as the project gives it (``{}`` when unset)."""
    value = getattr(settings, "GRAFT", None)
    return {} if value is None else value


class GraftSettings:
    """Typed, lazy view of ``settings.GRAFT``."""

    def _get(self, name: str) -> Any:
        given = user_settings()
        if isinstance(given, dict) and name in given:
            return given[name]
        return SETTINGS[name].default

    @property
    def INSTALLATION_ID(self) -> str | None:
        value = self._get("INSTALLATION_ID")
        return None if value is None else str(value)

    @property
    def POLICY(self) -> Any:
        return self._get("POLICY")

    @property
    def BATCH_SIZE(self) -> int | None:
        value = self._get("BATCH_SIZE")
        return None if value is None else int(value)

    @property
    def SERVER_SIDE_KEYS(self) -> int | None:
        value = self._get("SERVER_SIDE_KEYS")
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

    @property
    def PROGRESS(self) -> bool:
        return bool(self._get("PROGRESS"))

    @property
    def ADMIN_ACTIONS(self) -> bool:
        return self._get("ADMIN_ACTIONS") is True

    @property
    def MAX_UPLOAD_BYTES(self) -> int:
        return int(self._get("MAX_UPLOAD_BYTES"))

    @property
    def BACKGROUND_ROWS(self) -> int:
        return int(self._get("BACKGROUND_ROWS"))

    @property
    def PROGRESS_CACHE(self) -> str:
        return str(self._get("PROGRESS_CACHE"))

    @property
    def MAX_ARCHIVE_BYTES(self) -> int:
        return int(self._get("MAX_ARCHIVE_BYTES"))

    @property
    def MAX_LINE_BYTES(self) -> int:
        return int(self._get("MAX_LINE_BYTES"))

    @property
    def MAX_DEPTH(self) -> int:
        return int(self._get("MAX_DEPTH"))

    @property
    def ADMIN_MAX_ROWS(self) -> int:
        return int(self._get("ADMIN_MAX_ROWS"))

    @property
    def MAX_ROWS(self) -> int | None:
        value = self._get("MAX_ROWS")
        return None if value is None else int(value)

    @property
    def ADMIN_EXPORT_SECRETS(self) -> bool:
        return self._get("ADMIN_EXPORT_SECRETS") is True

    @property
    def ADMIN_STORAGE(self) -> str | None:
        value = self._get("ADMIN_STORAGE")
        return None if value is None else str(value)

    @property
    def UPLOAD_TTL(self) -> int:
        return int(self._get("UPLOAD_TTL"))

    @property
    def SIGNING_KEY(self) -> str | bytes | None:
        value: str | bytes | None = self._get("SIGNING_KEY")
        return value

    @property
    def SIGNING_KEY_FALLBACKS(self) -> list[str | bytes]:
        return list(self._get("SIGNING_KEY_FALLBACKS"))

    @property
    def ADMIN_IMPORT_REQUIRE_SIGNED(self) -> bool:
        # Anything but an explicit False keeps the safe side.
        return self._get("ADMIN_IMPORT_REQUIRE_SIGNED") is not False


graft_settings = GraftSettings()
