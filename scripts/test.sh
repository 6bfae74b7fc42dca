#!/usr/bin/env bash
# Set up and run the whole test suite: lint, types, then every test on SQLite
# and on a throwaway PostgreSQL cluster this script starts (and removes).
# PostgreSQL and Chromium (for the admin's browser tests) are installed with
# apt-get when missing; if the cluster cannot start, the run fails.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_setup.sh

missing=()
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null; then
  missing+=(postgresql)
fi
command -v chromium >/dev/null || [ -n "${GRAFT_CHROMIUM:-}" ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  echo "== Installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
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
