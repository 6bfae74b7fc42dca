"""Import one archive or fixture into database "other", then roll it back.

Usage: ``python -m tests.importer.memory_probe PATH``. The test that runs
this caps the process's address space first (``ulimit -v``): an import must
fit in memory that follows the size of what it reads. On SQLite the
database is a fresh in-memory one, made here; on PostgreSQL and MariaDB it
is the test run's own (``GRAFT_TEST_ON_TEST_DATABASES``). Prints the rows
created per model.
"""

from __future__ import annotations

import os
import sys

import django


class _RolledBack(Exception):
    pass


def main(path: str) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    if os.environ.get("GRAFT_TEST_DB", "sqlite") != "sqlite":
        os.environ["GRAFT_TEST_ON_TEST_DATABASES"] = "1"
    django.setup()
    from django.core.management import call_command
    from django.db import connections, transaction

    from django_graft import import_archive

    if connections["other"].vendor == "sqlite":
        call_command("migrate", database="other", run_syncdb=True, verbosity=0)
    try:
        with transaction.atomic(using="other"):
            result = import_archive(path, using="other")
            for label, report in sorted(result.models.items()):
                print(f"{label} {report.created}")
            raise _RolledBack
    except _RolledBack:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
