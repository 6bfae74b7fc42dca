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

# The benchmark scripts named, one after the other, on the database the variables name.
chained() {
  local vars=$1 joined="" script
  shift
  for script in "$@"; do
    joined+="${joined:+ && }env $vars $python bench/$script $sizes"
  done
  echo "$joined"
}

# TITLE SCRIPT...: the scripts on SQLite, then on a throwaway PostgreSQL, then on a throwaway MariaDB.
on_three_databases() {
  local title=$1
  shift
  echo "== SQLite: $title"
  bash -c "$(chained "$sqlite" "$@")"
  echo
  echo "== PostgreSQL: $title"
  $python -m tests.pgcluster --databases graft_bench,graft_copy -- bash -c "$(chained "$postgres" "$@")"
  echo
  echo "== MariaDB: $title"
  $python -m tests.mariadbcluster --databases graft_bench,graft_copy -- bash -c "$(chained "$mariadb" "$@")"
}

if [ "${1:-}" = "--scale" ]; then
  shift
  sizes="$*"
  on_three_databases "at scale" scale_bench.py
  exit
fi

sizes="$*"
on_three_databases "export, import, sync, clone and delete, dynamic edges" \
  export_bench.py import_bench.py sync_bench.py clone_delete_bench.py dynamic_bench.py
