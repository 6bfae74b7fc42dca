"""Peak memory of a dry-run import, per format, against the size of what is read.

One organisation of the example schema gets a tree of about N rows (the
tree generator the other benchmarks use); it is exported once per format
asked for. Each file is then imported with ``dry_run=True`` into the empty
second database (``copy``) in a fresh process, which reports its peak
resident memory (``resource.getrusage``), before the import and after it.
A dry run reads, verifies and plans everything, and writes nothing.

Usage: ``python bench/import_memory.py [N] [FORMAT,...]`` (default N:
1000000, formats: graft). Formats: graft (the archive), json, jsonl, xml,
yaml. SQLite files in a temporary directory, unless ``GRAFT_EXAMPLE_*``
name other databases.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "example"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exampleproject.settings")

SUFFIXES = {"graft": ".jsonl", "json": ".json", "jsonl": ".jsonl", "xml": ".xml", "yaml": ".yaml"}


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def measure(path: str, fmt: str) -> None:
    """In this process: import ``path`` as a dry run; print the peak memory before and after."""
    import django

    django.setup()
    from django.conf import settings
    from django.db import connections

    settings.DEBUG = False
    from django_graft import import_archive

    connections["copy"].ensure_connection()
    before = peak_mib()
    started = time.perf_counter()
    result = import_archive(
        path, using="copy", dry_run=True, format=None if fmt == "graft" else fmt
    )
    seconds = time.perf_counter() - started
    rows = sum(r.created + r.matched for r in result.models.values())
    print(f"{rows} {before:.0f} {peak_mib():.0f} {seconds:.1f}")


def make(rows: int, formats: list[str], work: Path) -> None:
    """Seed a tree of about ``rows`` rows and export it once per format; print the paths."""
    import django

    django.setup()
    from django.core.management import call_command

    from django_graft import export
    from tenants.models import Organisation
    from tenants.seed import seed, seed_tree

    call_command("migrate", verbosity=0)
    call_command("migrate", verbosity=0, database="copy")
    seed(organisations=1, meetings_per_org=1, items_per_meeting=1)
    org = Organisation.objects.get(pk=seed_tree(rows=rows))
    for fmt in formats:
        path = work / f"org-{rows}-{fmt}{SUFFIXES[fmt]}"
        export(org, path, format=fmt)
        print(fmt, path)


def run(*argv: str) -> str:
    # Every process that loads Django is started from this small one: a
    # process's peak RSS counts the memory of the process it was forked from.
    done = subprocess.run(
        [sys.executable, __file__, *argv], capture_output=True, text=True, env=os.environ
    )
    if done.returncode:
        raise SystemExit(done.stderr)
    return done.stdout


def main(argv: list[str]) -> None:
    if argv[:1] == ["--measure"]:
        measure(argv[1], argv[2])
        return
    if argv[:1] == ["--make"]:
        make(int(argv[1]), argv[2].split(","), Path(argv[3]))
        return
    rows = int(argv[0]) if argv else 1_000_000
    formats = argv[1].split(",") if len(argv) > 1 else ["graft"]
    work = Path(tempfile.mkdtemp())
    os.environ.setdefault("GRAFT_EXAMPLE_SQLITE", str(work / "bench.sqlite3"))
    os.environ.setdefault("GRAFT_EXAMPLE_COPY_SQLITE", str(work / "copy.sqlite3"))
    try:
        report(rows, formats, work)
    finally:
        shutil.rmtree(work)


def report(rows: int, formats: list[str], work: Path) -> None:
    made = run("--make", str(rows), ",".join(formats), str(work)).split("\n")
    paths = dict(line.split(" ", 1) for line in made if line)
    print(f"N={rows:,}, dry-run import into an empty database")
    print(f"  {'format':<7} {'MB read':>8} {'rows':>9} {'RSS before':>11} {'peak RSS':>9} {'s':>6}")
    for fmt, path in paths.items():
        found, before, peak, seconds = run("--measure", path, fmt).split()
        size = Path(path).stat().st_size / 2**20
        print(
            f"  {fmt:<7} {size:>8.1f} {int(found):>9,} {before:>8} MiB {peak:>5} MiB {seconds:>6}",
            flush=True,
        )


if __name__ == "__main__":
    main(sys.argv[1:])
