"""Start a throwaway PostgreSQL cluster, run a command against it, remove it.

Usage: ``python -m tests.pgcluster [--databases a,b] -- COMMAND [ARGS...]``

The cluster lives in a temporary directory and listens only on a unix
socket in that directory, so it never touches the network or another
cluster. ``PGHOST``, ``PGPORT`` and ``PGUSER`` are set for the command. A
cluster that cannot start is an error (exit status 3), never a skip.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

PORT = 5432


def find_binary(name: str) -> str | None:
    candidates = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0,
    )
    if candidates:
        return candidates[-1]
    return shutil.which(name)


def _as_owner(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run it as the 'postgres' user then."""
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


@contextlib.contextmanager
def cluster(databases: list[str]) -> Iterator[dict[str, str]]:
    initdb, pg_ctl = find_binary("initdb"), find_binary("pg_ctl")
    if not initdb or not pg_ctl:
        raise RuntimeError(
            "PostgreSQL is not installed (no initdb/pg_ctl found); "
            "install it with: apt-get install -y postgresql"
        )
    root = Path(tempfile.mkdtemp(prefix="graft-pg-"))
    data, log = root / "data", root / "server.log"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    try:
        subprocess.run(
            _as_owner([initdb, "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                       "--locale=C", "--no-sync"]),
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        options = (
            f"-k {root} -c listen_addresses='' -p {PORT} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=50"
        )
        started = subprocess.run(
            _as_owner([pg_ctl, "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60",
                       "start"]),
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        if started.returncode != 0:
            detail = log.read_text() if log.exists() else started.stderr.decode()
            raise RuntimeError(f"PostgreSQL did not start:\n{detail}")
        env = {"PGHOST": str(root), "PGPORT": str(PORT), "PGUSER": "postgres"}
        psql = find_binary("psql") or "psql"
        for name in databases:
            subprocess.run(
                [psql, "-q", "-v", "ON_ERROR_STOP=1", "-d", "postgres", "-c",
                 f'CREATE DATABASE "{name}"'],
                check=True, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
            )  # fmt: skip
        yield env
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                _as_owner([pg_ctl, "-D", str(data), "-m", "immediate", "stop"]),
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)


def serve(
    start: Callable[[list[str]], contextlib.AbstractContextManager[dict[str, str]]],
    argv: list[str],
    prog: str,
) -> int:
    """Parse ``[--databases a,b] -- COMMAND``, run COMMAND against a server ``start`` gives."""
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("--databases", default="", help="comma-separated databases to create")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give a command to run after --")
    try:
        with start([d for d in args.databases.split(",") if d]) as env:
            return subprocess.run(command, env={**os.environ, **env}).returncode
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", None)
        print(f"{prog}: {exc}", file=sys.stderr)
        if detail:
            print(detail.decode(errors="replace"), file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(serve(cluster, sys.argv[1:], prog="python -m tests.pgcluster"))
