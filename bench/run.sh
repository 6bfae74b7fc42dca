#!/usr/bin/env bash
# Run the export, import, clone and delete benchmarks on SQLite and on a throwaway
# PostgreSQL cluster.
# Usage: bash bench/run.sh [N ...]   (default N: 1000 10000 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_setup.sh
setup_venv
python=.venv/bin/python
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

sqlite="GRAFT_EXAMPLE_SQLITE=$work/bench.sqlite3 GRAFT_EXAMPLE_COPY_SQLITE=$work/copy.sqlite3"
postgres="GRAFT_EXAMPLE_DB=postgres GRAFT_EXAMPLE_PGDATABASE=graft_bench GRAFT_EXAMPLE_PGCOPY=graft_copy"

echo "== SQLite: export"
env $sqlite $python bench/export_bench.py "$@"
echo
echo "== SQLite: import"
env $sqlite $python bench/import_bench.py "$@"
echo
echo "== SQLite: clone and delete"
env $sqlite $python bench/clone_delete_bench.py "$@"
echo
echo "== PostgreSQL: export, import, clone and delete"
$python -m tests.pgcluster --databases graft_bench,graft_copy -- \
  bash -c "env $postgres $python bench/export_bench.py $* && env $postgres $python bench/import_bench.py $* \
    && env $postgres $python bench/clone_delete_bench.py $*"
