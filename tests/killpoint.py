"""Run a management command and kill it with SIGKILL part way through.

Usage: ``python -m tests.killpoint N|commit -- COMMAND [ARGS...]``

``N`` kills the process as its N-th SQL statement is about to run;
``commit`` lets every statement run and kills it as the first transaction
that wrote to the database is about to commit, after printing
``statements: <count>`` on stdout, so a test learns how many points there
are to pick from. Transactions that only read (a preview, say) commit as
usual (PostgreSQL says whether one wrote; on MariaDB, the write statements
seen tell). A command that ends
before its point is reached exits 0, so the caller can tell it was not
killed. The databases are those of the running test session
(``GRAFT_TEST_ON_TEST_DATABASES``); PostgreSQL or MariaDB.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

import django


def _die() -> None:
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def _wrote(connection: Any, written: set[str]) -> bool:
    """Whether the current transaction has written.

    PostgreSQL says so itself (``COPY`` bypasses Django's cursor); on
    MariaDB, whose transaction tables lag behind, every write statement
    goes through Django's cursor and was seen.
    """
    if connection.alias in written:
        return True
    if connection.vendor != "postgresql" or connection.connection is None:
        return False
    cursor = connection.connection.cursor()  # the driver's own: not a counted statement
    try:
        cursor.execute("SELECT txid_current_if_assigned() IS NOT NULL")
        return bool(cursor.fetchone()[0])
    finally:
        cursor.close()


def main(argv: list[str]) -> int:
    point, command = argv[0], argv[argv.index("--") + 1 :]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    os.environ["GRAFT_TEST_ON_TEST_DATABASES"] = "1"
    django.setup()
    from django.core.management import call_command
    from django.db import connections

    statements = 0
    written: set[str] = set()

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal statements
        statements += 1
        if sql.lstrip().split(None, 1)[0].upper() in WRITES:
            written.add(context["connection"].alias)
        if point != "commit" and statements == int(point):
            _die()
        return execute(sql, params, many, context)

    def committer(connection: Any) -> Any:
        commit = connection.commit

        def commit_unless_written() -> None:
            if _wrote(connection, written):
                print(f"statements: {statements}")
                _die()
            commit()
            written.discard(connection.alias)

        return commit_unless_written

    for alias in connections:
        connection = connections[alias]
        connection.execute_wrappers.append(count)
        # atomic() commits through this method; Django's own autocommit
        # outside a transaction (the audit log, after the operation) does not.
        connection.commit = committer(connection)  # type: ignore[method-assign]
    call_command(*command)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
