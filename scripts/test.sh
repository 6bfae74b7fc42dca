#!/usr/bin/env bash
# Set up and run the whole test suite: lint, types, then every test on SQLite
# and on a throwaway PostgreSQL cluster this script starts (and removes).
# PostgreSQL is installed with apt-get when missing; if it cannot start, the
# run fails.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_setup.sh

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null; then
  echo "== Installing PostgreSQL"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq postgresql >/dev/null
fi

setup_venv
bin=.venv/bin

echo "== ruff"
$bin/ruff check .
$bin/ruff format --check .
echo "== mypy"
$bin/mypy
echo "== tests on SQLite"
GRAFT_TEST_DB=sqlite $bin/python -m pytest "$@"
echo "== tests on PostgreSQL"
$bin/python -m tests.pgcluster --databases graft,graft_other -- \
  env GRAFT_TEST_DB=postgres $bin/python -m pytest "$@"
