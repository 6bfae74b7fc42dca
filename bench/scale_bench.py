"""Time, peak memory and queries of each operation on one large tree, each in a fresh process.

One organisation of the example schema gets a tree of about N rows (the
tree generator the other benchmarks use), among organisations sharing its
users and tags. Each run below is a fresh process that does one thing and
reports its time, its peak resident memory (``resource.getrusage``, so
the interpreter and Django count too: about 50 MiB) and the statements it
sent (counted by an ``execute_wrapper``, which keeps nothing of them):

* ``export``: ``export()`` of the organisation to a local archive, as
  configured (``GRAFT["SERVER_SIDE_KEYS"]``), then with every key kept in
  Python (``SERVER_SIDE_KEYS = None``); and the raw floor of the export
  benchmark (one SELECT per table and batch of keys, rows dumped with
  orjson; the keys found beforehand, untimed);
* ``import``: ``import_archive()`` of that archive into the empty second
  database with new keys (``pks="remap"``), and the raw floor of the import
  benchmark (the same rows written with ``COPY`` or ``executemany``; read
  beforehand, untimed);
* ``clone``: ``clone()`` of the organisation (the copy is deleted after);
* ``delete``: ``delete()`` of the organisation, as configured and with its
  keys in Python; Django's ``Organisation.delete()``; the raw floor of the
  delete benchmark (one DELETE per table and batch of keys found
  beforehand). The tree is put back between runs from the archive.

Usage: ``python bench/scale_bench.py [--only RUN]... [N ...]`` (default N:
100000 1000000; default runs: all of them), for the database
``GRAFT_EXAMPLE_*`` name (SQLite files in a temporary folder when none);
``bench/run.sh --scale`` runs it on all three. ``--only`` keeps a long run
(ten million rows) to the runs named, in their usual order, for example
``--only export --only "export floor" --only delete --only "delete floor"``:
a run that needs the archive wants ``export`` among them.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "example")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exampleproject.settings")

#: Runs in the order they are made: what each needs was left by those before.
RUNS = [
    "export",
    "export, keys in Python",
    "export floor",
    "import",
    "import floor",
    "clone",
    "delete",
    "delete, keys in Python",
    "delete floor",
    "Django Model.delete()",
]


def child(run: str, org_pk: int, work: Path) -> dict[str, Any]:
    """In this process: one run; its seconds, peak memory and statements."""
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False
    if run.endswith("keys in Python"):
        settings.GRAFT = {**(getattr(settings, "GRAFT", None) or {}), "SERVER_SIDE_KEYS": None}
    from django.db import connections

    prepare, operation = _operation(run, org_pk, work)
    state = prepare()
    statements = [0]

    def count(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        statements[0] += 1
        return execute(sql, params, many, context)

    failed = None
    with connections["default"].execute_wrapper(count), connections["copy"].execute_wrapper(count):
        started = time.perf_counter()
        try:
            operation(state)
        except Exception as exc:
            if not run.startswith("Django"):
                raise  # what the next runs need is not there
            failed = f"{type(exc).__name__}: {exc}"  # Django's delete fails on SQLite at 1M
        seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {
        "run": run,
        "seconds": seconds,
        "peak_mib": peak,
        "statements": statements[0],
        "failed": failed,
    }


def _operation(run: str, org_pk: int, work: Path) -> tuple[Callable[[], Any], Callable[[Any], Any]]:
    """``(prepare, operate)`` for a run: ``prepare`` is not timed, and its result is passed on."""
    from bench import clone_delete_bench, export_bench, import_bench
    from django_graft import clone, collect, delete, export, import_archive
    from tenants.models import Organisation

    archive = work / "tree.jsonl.zst"
    root = {Organisation: [org_pk]}
    nothing: Callable[[], Any] = lambda: None  # noqa: E731
    if run.startswith("export"):
        if run == "export floor":
            return (lambda: collect(root)), export_bench.raw_floor
        target = archive if run == "export" else work / "python.jsonl.zst"
        return nothing, lambda _: export(root, target)
    if run == "import":
        return nothing, lambda _: import_archive(archive, using="copy", pks="remap")
    if run == "import floor":
        return (lambda: import_bench.read_rows(collect(root))), import_bench.raw_floor
    if run == "clone":
        return nothing, lambda _: clone(root, set_fields=_COPY_NAMES)
    if run == "delete floor":
        return (lambda: collect(root)), clone_delete_bench.raw_delete
    if run == "Django Model.delete()":
        return nothing, lambda _: Organisation.objects.get(pk=org_pk).delete()
    return nothing, lambda _: delete(root)


_COPY_NAMES = {
    "tenants.Organisation.name": lambda row: f"{row['name']} (copy)",
    "tenants.Organisation.slug": lambda row: f"{row['slug']}-copy",
}


def _between(run: str, org_pk: int, work: Path) -> None:
    """What a run leaves is put back before the next: copies gone, the tree restored."""
    import django

    django.setup()
    from django.core.management import call_command

    from django_graft import delete, import_archive
    from tenants.models import Organisation

    if run.startswith("import"):
        call_command("flush", database="copy", interactive=False, verbosity=0)
    if run == "clone":
        delete(Organisation.objects.filter(slug__endswith="-copy"))
    restoring = run.startswith(("delete", "Django"))
    if restoring and not Organisation.objects.filter(pk=org_pk).exists():
        import_archive(work / "tree.jsonl.zst")


def _seed(size: int) -> int:
    import django

    django.setup()
    from django.core.management import call_command

    from tenants.models import Organisation
    from tenants.seed import seed, seed_tree

    for alias in ("default", "copy"):
        call_command("migrate", database=alias, verbosity=0)
        call_command("flush", database=alias, interactive=False, verbosity=0)
    seed(organisations=3, meetings_per_org=4, items_per_meeting=5)
    pk = seed_tree(rows=size)
    return int(Organisation.objects.filter(pk=pk).values_list("pk", flat=True)[0])


def _in_process(what: str, *args: str, env: dict[str, str]) -> Any:
    done = subprocess.run(
        [sys.executable, __file__, what, *args], env=env, check=True, capture_output=True, text=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench(sizes: list[int], runs: list[str] = RUNS) -> list[dict[str, Any]]:
    work = Path(tempfile.mkdtemp())
    env = dict(os.environ)
    env.setdefault("GRAFT_EXAMPLE_SQLITE", str(work / "bench.sqlite3"))
    env.setdefault("GRAFT_EXAMPLE_COPY_SQLITE", str(work / "copy.sqlite3"))
    results = []
    vendor = env.get("GRAFT_EXAMPLE_DB", "sqlite")
    for size in sizes:
        org_pk = _in_process("--seed", str(size), env=env)
        print(f"\n{vendor}  N={size:,}")
        print(f"  {'':<26} {'seconds':>9} {'peak MiB':>9} {'queries':>8}", flush=True)
        measured = []
        for index, run in enumerate(runs):
            measured.append(_in_process("--run", run, str(org_pk), str(work), env=env))
            _print_run(measured[-1])  # as it ends: a run of ten million rows takes an hour
            if index + 1 < len(runs) or size != sizes[-1]:
                _in_process("--between", run, str(org_pk), str(work), env=env)
        results.append(report(size, vendor, measured))
    return results


def _print_run(m: dict[str, Any]) -> None:
    line = f"  {m['run']:<26} {m['seconds']:>9.2f} {m['peak_mib']:>9.0f} {m['statements']:>8,}"
    print(line + (f"   failed: {m['failed'][:70]}" if m["failed"] else ""), flush=True)


def report(size: int, vendor: str, measured: list[dict[str, Any]]) -> dict[str, Any]:
    """The ratios of a size's runs to their floors, printed under the runs."""
    by_run = {m["run"]: m for m in measured}
    pairs = {
        "export / floor": ("export", "export floor"),
        "import / floor": ("import", "import floor"),
        "delete / floor": ("delete", "delete floor"),
        "Model.delete() / delete": ("Django Model.delete()", "delete"),
    }
    ratios = {
        name: by_run[top]["seconds"] / by_run[bottom]["seconds"]
        for name, (top, bottom) in pairs.items()
        if top in by_run
        and bottom in by_run
        and not by_run[top]["failed"]
        and not by_run[bottom]["failed"]
    }
    print("  " + "   ".join(f"{name}: {value:.2f}x" for name, value in ratios.items()), flush=True)
    return {"vendor": vendor, "n": size, "runs": measured, "ratios": ratios}


if __name__ == "__main__":
    if sys.argv[1:2] == ["--seed"]:
        print(json.dumps(_seed(int(sys.argv[2]))))
    elif sys.argv[1:2] == ["--run"]:
        print(json.dumps(child(sys.argv[2], int(sys.argv[3]), Path(sys.argv[4]))))
    elif sys.argv[1:2] == ["--between"]:
        _between(sys.argv[2], int(sys.argv[3]), Path(sys.argv[4]))
        print(json.dumps(None))
    else:
        arguments = sys.argv[1:]
        only = []
        while arguments[:1] == ["--only"] and len(arguments) > 1:
            only.append(arguments[1])
            arguments = arguments[2:]
        unknown = [run for run in only if run not in RUNS]
        if unknown:
            sys.exit(f"Unknown run {unknown[0]!r}. The runs: {'; '.join(RUNS)}.")
        runs = [run for run in RUNS if run in only] if only else RUNS
        output = bench([int(s) for s in arguments] or [100_000, 1_000_000], runs)
        target = ROOT / "bench" / "results"
        target.mkdir(exist_ok=True)
        vendor = output[0]["vendor"] if output else "none"
        (target / f"scale-{vendor}.json").write_text(json.dumps(output, indent=2))
