#!/usr/bin/env bash
# Set up, then run the main job on the example project (SQLite): seed a
# multi-tenant database, show the plan for one organisation, export it to an
# archive, verify the archive, import it into a second, empty database;
# export organisation 3 as a plain Django fixture and import that too;
# clone organisation 1 inside the first, clone a meeting, and delete
# organisation 2 with an archive first, then restore it from that archive.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_setup.sh
# The package and its dependencies only: scripts/test.sh installs the rest.
setup_venv .venv "" -e .

cd example
python=../.venv/bin/python
rm -f db.sqlite3 copy.sqlite3 demo-organisation-1.jsonl.gz demo-organisation-1.mmd \
  deleted-organisation-2.jsonl.gz demo-organisation-3.json
$python manage.py migrate --verbosity 0
$python manage.py migrate --verbosity 0 --database copy
echo "== Seeding the example database"
$python manage.py seed_demo
echo
echo "== Plan for organisation 1: what it owns, what it needs, and why"
$python manage.py graft_inspect tenants.Organisation:1 --graph demo-organisation-1.mmd
echo
echo "== Exporting organisation 1"
$python manage.py graft_export tenants.Organisation:1 -o demo-organisation-1.jsonl.gz
echo
echo "== Verifying the archive"
$python manage.py graft_inspect demo-organisation-1.jsonl.gz
echo
echo "== Importing it into a second database (example/copy.sqlite3), new keys"
$python manage.py graft_import demo-organisation-1.jsonl.gz --database copy --pks remap
echo
echo "== Exporting organisation 3 as a Django fixture (loaddata takes it), and importing that"
$python manage.py graft_export tenants.Organisation:3 -o demo-organisation-3.json --natural-foreign
$python manage.py graft_import demo-organisation-3.json --database copy --pks remap
echo
echo "== Cloning organisation 1 inside the example database (the copy needs its own name and slug)"
$python manage.py graft_clone tenants.Organisation:1 \
  --set "tenants.Organisation.name=Organisation 1 (copy)" \
  --set "tenants.Organisation.slug=organisation-1-copy"
echo
echo "== Cloning meeting 1 within its organisation (a fresh reference is drawn for the copy)"
$python manage.py graft_clone tenants.Meeting:1 --set "tenants.Meeting.title=Meeting 1 (copy)"
echo
echo "== Deleting organisation 2, archived first (preview, then no question asked)"
$python manage.py graft_delete tenants.Organisation:2 --archive deleted-organisation-2.jsonl.gz --no-input
echo
echo "== Restoring organisation 2 from that archive, keys kept"
$python manage.py graft_import deleted-organisation-2.jsonl.gz
echo
echo "Archives: example/demo-organisation-1.jsonl.gz, example/deleted-organisation-2.jsonl.gz"
echo "Fixture: example/demo-organisation-3.json"
echo "Picture: example/demo-organisation-1.mmd"
