#!/usr/bin/env bash
# Run the export benchmark on SQLite and on a throwaway PostgreSQL cluster.
# Usage: bash bench/run.sh [N ...]   (default N: 1000 10000 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_setup.sh
setup_venv
python=.venv/bin/python
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== SQLite"
GRAFT_EXAMPLE_SQLITE="$work/bench.sqlite3" $python bench/export_bench.py "$@"
echo
echo "== PostgreSQL"
$python -m tests.pgcluster --databases graft_bench -- \
  env GRAFT_EXAMPLE_DB=postgres GRAFT_EXAMPLE_PGDATABASE=graft_bench $python bench/export_bench.py "$@"
