"""Start a throwaway MariaDB server, run a command against it, remove it.

Usage: ``python -m tests.mariadbcluster [--databases a,b] -- COMMAND [ARGS...]``

Like ``tests.pgcluster``: the data directory is a temporary directory, the
server listens only on a unix socket inside it (``--skip-networking``), and
``MARIADB_SOCKET`` is set for the command. A server that cannot start is an
error (exit status 3), never a skip.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from tests.pgcluster import serve

# Written for a test server only: durability traded for speed, and the
# character set every Django project on MariaDB should use.
SERVER_OPTIONS = [
    "--skip-networking",
    "--skip-log-bin",
    "--innodb-flush-log-at-trx-commit=0",
    "--innodb-doublewrite=0",
    "--innodb-buffer-pool-size=256M",
    "--character-set-server=utf8mb4",
    "--collation-server=utf8mb4_unicode_ci",
    "--max-connections=60",
]


def _binary(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    if not found:
        raise RuntimeError(
            f"MariaDB is not installed (no {name} found); "
            "install it with: apt-get install -y mariadb-server"
        )
    return found


def _user_options() -> list[str]:
    """mariadbd refuses to run as root unless told which user to be."""
    return ["--user=mysql"] if os.geteuid() == 0 else []


@contextlib.contextmanager
def cluster(databases: list[str]) -> Iterator[dict[str, str]]:
    install, server, client = (
        _binary("mariadb-install-db"), _binary("mariadbd"), _binary("mariadb"),
    )  # fmt: skip
    root = Path(tempfile.mkdtemp(prefix="graft-maria-"))
    data, socket, log = root / "data", root / "mysqld.sock", root / "server.log"
    if os.geteuid() == 0:
        shutil.chown(root, "mysql", "mysql")
    process: subprocess.Popen[bytes] | None = None
    try:
        subprocess.run(
            [install, "--no-defaults", f"--datadir={data}", "--skip-test-db",
             "--auth-root-authentication-method=normal", *_user_options()],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        process = subprocess.Popen(
            [server, "--no-defaults", f"--datadir={data}", f"--socket={socket}",
             f"--pid-file={root / 'mysqld.pid'}", f"--log-error={log}", *SERVER_OPTIONS,
             *_user_options()],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        _wait_for(client, socket, process, log)
        for name in databases:
            subprocess.run(
                [client, "--no-defaults", f"--socket={socket}", "-uroot", "-e",
                 f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"],
                check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            )  # fmt: skip
        yield {"MARIADB_SOCKET": str(socket)}
    finally:
        if process is not None and process.poll() is not None and log.exists():
            # The server died under the tests: its log says why (a crash
            # prints the query it was running).
            tail = log.read_text(errors="replace").splitlines()[-60:]
            print("MariaDB stopped during the run; its log ends:", *tail, sep="\n", file=sys.stderr)
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(root, ignore_errors=True)


def _wait_for(client: str, socket: Path, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        ping = subprocess.run(
            [client, "--no-defaults", f"--socket={socket}", "-uroot", "-e", "SELECT 1"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        if ping.returncode == 0:
            return
        time.sleep(0.2)
    detail = log.read_text(errors="replace") if log.exists() else "(no log)"
    raise RuntimeError(f"MariaDB did not start:\n{detail}")


if __name__ == "__main__":
    sys.exit(serve(cluster, sys.argv[1:], prog="python -m tests.mariadbcluster"))
