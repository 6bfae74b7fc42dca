#!/usr/bin/env bash
# Run the export, import, sync, clone, delete and dynamic-edge benchmarks on SQLite, on a throwaway
# PostgreSQL cluster and on a throwaway MariaDB server (the servers, and the
# headers mysqlclient compiles against, are those scripts/test.sh installs).
# Usage: bash bench/run.sh [N ...]   (default N: 1000 10000 100000)
#        bash bench/run.sh --scale [N ...]   time, peak memory and queries of each operation,
#        each in a fresh process, on all three databases (default N: 100000 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_setup.sh
setup_venv .venv "" -e ".[dev,mariadb]"
python=.venv/bin/python
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

sqlite="GRAFT_EXAMPLE_SQLITE=$work/bench.sqlite3 GRAFT_EXAMPLE_COPY_SQLITE=$work/copy.sqlite3"
postgres="GRAFT_EXAMPLE_DB=postgres GRAFT_EXAMPLE_PGDATABASE=graft_bench GRAFT_EXAMPLE_PGCOPY=graft_copy"
mariadb="GRAFT_EXAMPLE_DB=mariadb GRAFT_EXAMPLE_MARIADB_DATABASE=graft_bench GRAFT_EXAMPLE_MARIADB_COPY=graft_copy"

if [ "${1:-}" = "--scale" ]; then
  shift
  echo "== SQLite: at scale"
  env $sqlite $python bench/scale_bench.py "$@"
  echo
  echo "== PostgreSQL: at scale"
  $python -m tests.pgcluster --databases graft_bench,graft_copy -- \
    bash -c "env $postgres $python bench/scale_bench.py $*"
  echo
  echo "== MariaDB: at scale"
  $python -m tests.mariadbcluster --databases graft_bench,graft_copy -- \
    bash -c "env $mariadb $python bench/scale_bench.py $*"
  exit
fi

echo "== SQLite: export"
env $sqlite $python bench/export_bench.py "$@"
echo
echo "== SQLite: import"
env $sqlite $python bench/import_bench.py "$@"
echo
echo "== SQLite: sync"
env $sqlite $python bench/sync_bench.py "$@"
echo
echo "== SQLite: clone and delete"
env $sqlite $python bench/clone_delete_bench.py "$@"
echo
echo "== SQLite: dynamic edges"
env $sqlite $python bench/dynamic_bench.py "$@"
echo
echo "== PostgreSQL: export, import, sync, clone and delete"
$python -m tests.pgcluster --databases graft_bench,graft_copy -- \
  bash -c "env $postgres $python bench/export_bench.py $* && env $postgres $python bench/import_bench.py $* \
    && env $postgres $python bench/sync_bench.py $* \
    && env $postgres $python bench/clone_delete_bench.py $* \
    && env $postgres $python bench/dynamic_bench.py $*"
echo
echo "== MariaDB: export, import, sync, clone and delete"
$python -m tests.mariadbcluster --databases graft_bench,graft_copy -- \
  bash -c "env $mariadb $python bench/export_bench.py $* && env $mariadb $python bench/import_bench.py $* \
    && env $mariadb $python bench/sync_bench.py $* \
    && env $mariadb $python bench/clone_delete_bench.py $* \
    && env $mariadb $python bench/dynamic_bench.py $*"
