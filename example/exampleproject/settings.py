"""Settings for the django-graft example project.

Development only: the secret key is public and DEBUG is on.

Database selection through the environment:

* default: SQLite at ``example/db.sqlite3``; ``GRAFT_EXAMPLE_SQLITE`` names
  another file.
* ``GRAFT_EXAMPLE_DB=postgres``: PostgreSQL, database
  ``GRAFT_EXAMPLE_PGDATABASE`` (default ``graft_example``) reached through
  ``PGHOST`` / ``PGPORT`` / ``PGUSER`` without a password (local socket or
  trust authentication).
* ``GRAFT_EXAMPLE_DB=mariadb``: MariaDB, database
  ``GRAFT_EXAMPLE_MARIADB_DATABASE`` (default ``graft_example``) as root
  through the unix socket ``MARIADB_SOCKET`` (as ``tests.mariadbcluster``
  starts it).
* ``copy``, a second database of the same engine for imports:
  ``example/copy.sqlite3`` (``GRAFT_EXAMPLE_COPY_SQLITE``), the PostgreSQL
  database ``GRAFT_EXAMPLE_PGCOPY`` or the MariaDB database
  ``GRAFT_EXAMPLE_MARIADB_COPY`` (default ``graft_example_copy``).

``GRAFT_EXAMPLE_MEDIA`` and ``GRAFT_EXAMPLE_ARCHIVES`` move the uploaded
files and the admin's archives elsewhere (the docs' tests run there).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "django-insecure-graft-example-not-for-production-7c1d9e4b2a"

DEBUG = True

ALLOWED_HOSTS = ["localhost", "127.0.0.1"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_graft",
    "tenants",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "exampleproject.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "exampleproject.wsgi.application"


def _database() -> dict[str, Any]:
    if os.environ.get("GRAFT_EXAMPLE_DB", "sqlite").lower() in {"postgres", "postgresql"}:
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": os.environ.get("GRAFT_EXAMPLE_PGDATABASE", "graft_example"),
            # An empty HOST lets libpq fall back to its default socket.
            "HOST": os.environ.get("PGHOST", ""),
            "PORT": os.environ.get("PGPORT", "5432"),
            "USER": os.environ.get("PGUSER", "postgres"),
            "PASSWORD": "",
        }
    if os.environ.get("GRAFT_EXAMPLE_DB", "").lower() == "mariadb":
        return {
            "ENGINE": "django.db.backends.mysql",
            "NAME": os.environ.get("GRAFT_EXAMPLE_MARIADB_DATABASE", "graft_example"),
            "HOST": os.environ.get("MARIADB_SOCKET", ""),
            "USER": "root",
            "OPTIONS": {"charset": "utf8mb4"},
        }
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("GRAFT_EXAMPLE_SQLITE", str(BASE_DIR / "db.sqlite3")),
    }


def _copy_database() -> dict[str, Any]:
    """A second, empty database that exported organisations are imported into."""
    database = _database()
    if database["ENGINE"].endswith("postgresql"):
        return {**database, "NAME": os.environ.get("GRAFT_EXAMPLE_PGCOPY", "graft_example_copy")}
    if database["ENGINE"].endswith("mysql"):
        copy = os.environ.get("GRAFT_EXAMPLE_MARIADB_COPY", "graft_example_copy")
        return {**database, "NAME": copy}
    path = os.environ.get("GRAFT_EXAMPLE_COPY_SQLITE", str(BASE_DIR / "copy.sqlite3"))
    return {**database, "NAME": path}


DATABASES: dict[str, dict[str, Any]] = {"default": _database(), "copy": _copy_database()}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Demo users get trivial passwords, so no validators.
AUTH_PASSWORD_VALIDATORS: list[dict[str, Any]] = []

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
MEDIA_URL = "media/"
MEDIA_ROOT = os.environ.get("GRAFT_EXAMPLE_MEDIA", str(BASE_DIR / "media"))

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    # The archives the admin writes (a delete's "archive first", uploads to
    # the import page) hold whole trees: a folder the web server never serves.
    "graft": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": os.environ.get("GRAFT_EXAMPLE_ARCHIVES", str(BASE_DIR / "archives")),
            "base_url": None,
        },
    },
}

# django-graft: its three actions on every model of the admin.
GRAFT = {"ADMIN_ACTIONS": True}
