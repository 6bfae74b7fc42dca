#!/usr/bin/env bash
# Set up and run the whole test suite: lint, types, then every test with the
# newest Django on SQLite, on a throwaway PostgreSQL cluster and on a
# throwaway MariaDB server (both started here and removed after), once
# more with Django 4.2 LTS on SQLite under the oldest Python supported, and
# the admin's tests with Django 5.2 LTS: each major version writes its
# screenshots of the admin to build/screenshots/django-<major>/.
# PostgreSQL, MariaDB (with the headers its driver compiles against),
# Chromium (for the admin's browser tests) and Node.js (for Azurite, the
# Azure Storage emulator, installed with npm) are installed with apt-get
# when missing; if a database or storage server cannot start, the run fails.
# The whole matrix of Pythons, Djangos and databases: nox (see README).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_setup.sh

missing=()
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null; then
  missing+=(postgresql)
fi
command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ] || missing+=(mariadb-server)
pkg-config --exists libmariadb 2>/dev/null || missing+=(libmariadb-dev pkg-config)
command -v chromium >/dev/null || [ -n "${GRAFT_CHROMIUM:-}" ] || missing+=(chromium)
command -v npm >/dev/null || [ -n "${GRAFT_AZURITE:-}" ] || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "== Installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

setup_venv .venv "" -e ".[dev,mariadb,tasks]"
bin=.venv/bin
# Azurite, the Azure Storage emulator of the object-store tests (tests/objectstores.py).
if [ -z "${GRAFT_AZURITE:-}" ] && [ ! -x build/azurite/node_modules/.bin/azurite-blob ]; then
  echo "== Installing Azurite"
  npm install --prefix build/azurite --no-audit --no-fund --silent azurite@3.35.0
fi

echo "== ruff"
$bin/ruff check .
$bin/ruff format --check .
echo "== mypy"
$bin/mypy
echo "== docs (a warning fails the build)"
site=$(mktemp -d)
$bin/mkdocs build --strict --quiet --site-dir "$site"
rm -rf "$site"
echo "== tests on SQLite"
GRAFT_TEST_DB=sqlite $bin/python -m pytest "$@"
echo "== tests on PostgreSQL"
$bin/python -m tests.pgcluster --databases graft,graft_other -- \
  env GRAFT_TEST_DB=postgres $bin/python -m pytest "$@"
echo "== tests on MariaDB"
$bin/python -m tests.mariadbcluster --databases graft,graft_other -- \
  env GRAFT_TEST_DB=mariadb $bin/python -m pytest "$@"

# The oldest supported pair; python3.10 from the system or pyenv, else the
# Python above (Django 4.2 runs on 3.10 to 3.12).
oldest=$(find_python 3.10 || pick_python)
setup_venv .venv-django42 "$oldest" -e ".[dev]" "Django>=4.2,<5"
echo "== tests on SQLite, Django $(.venv-django42/bin/python -m django --version), $(.venv-django42/bin/python -V)"
GRAFT_TEST_DB=sqlite .venv-django42/bin/python -m pytest "$@"

# The admin's pages under Django 5.2 LTS too, for their screenshots: with the
# runs above, every major version the admin supports is drawn.
setup_venv .venv-django52 "" -e ".[dev]" "Django>=5.2,<6"
echo "== admin and browser tests on SQLite, Django $(.venv-django52/bin/python -m django --version)"
GRAFT_TEST_DB=sqlite .venv-django52/bin/python -m pytest tests/admin tests/e2e "$@"
