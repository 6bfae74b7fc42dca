"""Memory and local disk of an export to S3 and an import from it, against a local file.

One organisation of the example schema gets a tree of about N rows (the
tree generator the other benchmarks use). Against moto's S3 server on
127.0.0.1, each in a fresh process, reporting its time, its peak resident
memory (``resource.getrusage``) and the peak of local disk its open files
held in the temporary folder, the local archive included (sampled every
20 ms from ``/proc/self/fd``; SQLite's own files left out, as they are the
databases):

* export to ``s3://…/org.jsonl.zst``, and the same export to a local file;
* import from ``s3://…`` into the empty second database (``copy``),
  keys kept, and the same import from the local file.

Usage: ``python bench/transfer_bench.py [N]`` (default N: 1000000). SQLite
files in a temporary directory, unless ``GRAFT_EXAMPLE_*`` name other
databases.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "example")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exampleproject.settings")

#: What the process reads and writes that is not the transfer's own: the databases.
DATABASE_FILES = (".sqlite3", ".sqlite3-journal", ".sqlite3-wal", ".sqlite3-shm")


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


class DiskSampler(threading.Thread):
    """The largest total size of the regular files this process held open at once."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0
        self.done = threading.Event()
        # Temporary files, and the archive itself when it is local.
        self.folder = tempfile.gettempdir()

    def run(self) -> None:
        while not self.done.wait(0.02):
            total = 0
            for fd in os.listdir("/proc/self/fd"):
                try:
                    target = os.readlink(f"/proc/self/fd/{fd}")
                    if target.startswith(self.folder) and not target.endswith(DATABASE_FILES):
                        info = os.stat(f"/proc/self/fd/{fd}")
                        total += info.st_size if (info.st_mode & 0o170000) == 0o100000 else 0
                except OSError:
                    continue
            self.peak = max(self.peak, total)


def measure(operation: str, location: str, endpoint: str) -> None:
    """In this process: one export or import; print seconds, RSS before, peak RSS, peak disk."""
    import django

    django.setup()
    from django.conf import settings
    from django.db import connections

    settings.DEBUG = False
    settings.GRAFT = {
        **(getattr(settings, "GRAFT", None) or {}),
        "STORAGE_OPTIONS": {"s3": s3_options(endpoint)},
    }
    from django_graft import export, import_archive
    from tenants.models import Organisation

    connections["default"].ensure_connection()
    connections["copy"].ensure_connection()
    before = peak_mib()
    sampler = DiskSampler()
    sampler.start()
    started = time.perf_counter()
    if operation == "export":
        export(Organisation.objects.get(name="Bench"), location)
    else:
        import_archive(location, using="copy")
    seconds = time.perf_counter() - started
    sampler.done.set()
    sampler.join()
    if operation == "import":
        connections["copy"].close()
        Path(settings.DATABASES["copy"]["NAME"]).unlink()
    print(f"{seconds:.1f} {before:.0f} {peak_mib():.0f} {sampler.peak / 2**20:.1f}")


def s3_options(endpoint: str) -> dict[str, object]:
    return {
        "endpoint_url": endpoint,
        "key": "bench",
        "secret": "bench",
        "client_kwargs": {"region_name": "us-east-1"},
        "default_block_size": 5 << 20,
    }


def make(rows: int) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    from tenants.models import Organisation
    from tenants.seed import seed, seed_tree

    call_command("migrate", verbosity=0)
    if rows == 0:  # the second database, empty, before an import
        call_command("migrate", verbosity=0, database="copy")
        return
    seed(organisations=1, meetings_per_org=1, items_per_meeting=1)
    Organisation.objects.filter(pk=seed_tree(rows=rows)).update(name="Bench")


def run(*argv: str) -> str:
    # Each measured process is started from this small one: a process's peak
    # RSS counts the memory of the process it was forked from.
    done = subprocess.run(
        [sys.executable, __file__, *argv], capture_output=True, text=True, env=os.environ
    )
    if done.returncode:
        raise SystemExit(done.stderr)
    return done.stdout


def report(rows: int, work: Path) -> None:
    import boto3

    from tests.s3server import moto_server

    run("--make", str(rows))
    with moto_server() as endpoint:
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
            region_name="us-east-1",
        )
        client.create_bucket(Bucket="bench")
        places = {"S3": "s3://bench/org.jsonl.zst", "local file": str(work / "org.jsonl.zst")}
        print(f"N={rows:,}: export, then import into an empty database (keys kept)")
        print(f"  {'':<22} {'s':>7} {'RSS before':>11} {'peak RSS':>9} {'local disk':>11}")
        for operation in ("export", "import"):
            for where, location in places.items():
                if operation == "import":
                    run("--make", "0")
                seconds, before, peak, disk = run(
                    "--measure", operation, location, endpoint
                ).split()
                name = f"{operation} {'to' if operation == 'export' else 'from'} {where}"
                print(
                    f"  {name:<22} {seconds:>7} {before:>7} MiB {peak:>5} MiB {disk:>7} MiB",
                    flush=True,
                )
        size = client.head_object(Bucket="bench", Key="org.jsonl.zst")["ContentLength"]
        print(f"  archive: {size / 2**20:.1f} MiB compressed")


def main(argv: list[str]) -> None:
    if argv[:1] == ["--measure"]:
        measure(argv[1], argv[2], argv[3])
        return
    if argv[:1] == ["--make"]:
        make(int(argv[1]))
        return
    rows = int(argv[0]) if argv else 1_000_000
    work = Path(tempfile.mkdtemp())
    os.environ.setdefault("GRAFT_EXAMPLE_SQLITE", str(work / "bench.sqlite3"))
    os.environ.setdefault("GRAFT_EXAMPLE_COPY_SQLITE", str(work / "copy.sqlite3"))
    try:
        report(rows, work)
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main(sys.argv[1:])
