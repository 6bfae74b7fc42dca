"""Settings for the test suite: SQLite by default, GRAFT_TEST_DB=postgres or mariadb.

The PostgreSQL run expects the cluster started by ``tests.pgcluster``, the
MariaDB run the server started by ``tests.mariadbcluster`` (the test command
does both); without them it fails rather than skipping.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

import django

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = "graft-tests-only"
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_graft",
    "tests.testapp",
    # The example project's app: type-checked with the suite, and a second
    # schema the benchmark and demo run on.
    "tenants",
]

# The admin, for tests/admin/.
ROOT_URLCONF = "tests.urls"
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
STATIC_URL = "/static/"

TEST_DB = os.environ.get("GRAFT_TEST_DB", "sqlite")

# The task backend whose real workers the tests of runs over many roots start
# (tests/operations/test_workers.py), on PostgreSQL only, where the workers
# share the test database; installed by scripts/test.sh where the Django under
# test supports it (5.2 and later). Its data migrations read the default
# database whichever is migrated, so it stays out of the other runs.
TASK_WORKERS = (
    TEST_DB == "postgres"
    and bool(importlib.util.find_spec("django_tasks_db"))
    and (django.VERSION >= (6, 0) or bool(importlib.util.find_spec("django_tasks")))
)
if TASK_WORKERS:
    INSTALLED_APPS.append("django_tasks_db")
    if os.environ.get("GRAFT_TEST_TASKS"):
        TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


#: The server each database needs: (environment variable it sets, module that starts it).
SERVERS = {
    "postgres": ("PGHOST", "tests.pgcluster"),
    "mariadb": ("MARIADB_SOCKET", "tests.mariadbcluster"),
}


def _server(database: str) -> str:
    """The value of the variable the server of ``database`` sets; fail without one."""
    variable, module = SERVERS[database]
    value = os.environ.get(variable)
    if not value:
        raise RuntimeError(
            f"GRAFT_TEST_DB={database} needs a running server: run the tests through "
            f"'python -m {module} -- pytest' (scripts/test.sh does)."
        )
    return value


def _database(name: str) -> dict[str, Any]:
    if TEST_DB == "postgres":
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "HOST": _server(TEST_DB),
            "PORT": os.environ.get("PGPORT", "5432"),
            "USER": os.environ.get("PGUSER", "postgres"),
            "TEST": {"NAME": f"test_{name}"},
        }
    if TEST_DB == "mariadb":
        return {
            "ENGINE": "django.db.backends.mysql",
            "NAME": name,
            "HOST": _server(TEST_DB),
            "USER": "root",
            "OPTIONS": {"charset": "utf8mb4"},
            "TEST": {
                "NAME": f"test_{name}",
                "CHARSET": "utf8mb4",
                "COLLATION": "utf8mb4_unicode_ci",
            },
        }
    if TEST_DB != "sqlite":
        raise RuntimeError(
            f"GRAFT_TEST_DB must be 'sqlite', 'postgres' or 'mariadb', not {TEST_DB!r}."
        )
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:", "TEST": {"NAME": ""}}


DATABASES = {"default": _database("graft"), "other": _database("graft_other")}
# A process the tests start (tests.killpoint) works on the databases the test
# run created, not on the ones they were made from.
if os.environ.get("GRAFT_TEST_ON_TEST_DATABASES"):
    for database in DATABASES.values():
        database["NAME"] = database["TEST"]["NAME"]
MEDIA_ROOT = str(BASE_DIR / "media")
