"""Benchmark a sync where 1% of a tree changed, against a full import of the same archive.

For each N, one organisation of the example schema gets a tree of about N
rows. It is synced once into the empty second database (``copy``); then 1%
of its rows (proposals' text) change at the source and it is exported
again. Measured, in the same run:

* ``graft sync``: ``import_archive(..., pks="remap", sync=True)`` of the
  changed archive onto the first sync (restored before each run), which
  updates the 1% and leaves the rest;
* ``graft remap import``: a full ``import_archive(..., pks="remap")`` of the
  same archive into the empty target;
* the raw floor of ``import_bench``: the same rows written with the
  database's fastest plain tool.

Each of the first two also reports its peak memory, measured once more in
a fresh process (Linux only): the peak resident set (``VmHWM``), and how
far it grew above the resident set before the import started.

The goal: a 1%-changed sync at most half the time of the full import.
Run through ``bench/run.sh``, or alone with the example's database settings.
"""

from __future__ import annotations

import gc
import os
import re
import subprocess
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from django.db import connections
from django.db.models import Model

from bench.clone_delete_bench import timed
from bench.import_bench import (
    REPEAT,
    TARGET,
    _models,
    empty_target,
    raw_floor,
    read_rows,
    trees,
)
from django_graft import collect, export, import_archive
from django_graft.models import GraftLedgerEntry
from tenants.models import Organisation, Proposal


def empty(models: list[type[Model]]) -> None:
    empty_target(models)
    GraftLedgerEntry.objects.using(TARGET).all().delete()


def change_one_percent(org: Organisation, rows: int) -> int:
    """Rewrite 1% of the tree's rows (proposals' text) at the source; return how many."""
    keys = list(
        Proposal.objects.filter(item__meeting__organisation=org)
        .order_by("pk")
        .values_list("pk", flat=True)[: max(1, rows // 100)]
    )
    Proposal.objects.filter(pk__in=keys).update(text="changed at the source")
    return len(keys)


def _status_kib(name: str) -> int:
    with open("/proc/self/status") as status:
        found = re.search(rf"^{name}:\s+(\d+) kB", status.read(), re.MULTILINE)
    return int(found.group(1)) if found else 0


def _measure_peak(kind: str, archive: str) -> None:
    """In this fresh process: run one import of ``archive``; print the RSS before and the peak."""
    connections[TARGET].ensure_connection()
    gc.collect()
    before = _status_kib("VmRSS")
    import_archive(archive, using=TARGET, pks="remap", sync=kind == "sync")
    print(before, _status_kib("VmHWM"))


def peak_mib(kind: str, archive: Path, before: Callable[[], Any]) -> tuple[float, float] | None:
    """``(peak RSS, its growth over the RSS before the import)`` in MiB, of a fresh process.

    ``before`` readies the target first. Linux only (``VmHWM``, which a
    process does not inherit): elsewhere, None.
    """
    if not Path("/proc/self/status").exists():
        return None
    before()
    done = subprocess.run(
        [sys.executable, __file__, "--peak", kind, str(archive)],
        capture_output=True,
        text=True,
        env=os.environ,
        check=True,
    )
    start, peak = (int(kib) / 1024 for kib in done.stdout.split()[-2:])
    return peak, peak - start


def _synced_once(models: list[type[Model]], first: Path) -> None:
    """The target as the first sync left it."""
    empty(models)
    import_archive(first, using=TARGET, pks="remap", sync=True)


def bench(sizes: list[int]) -> None:
    for size, org, graph, work in trees(sizes):
        models = _models(graph)
        first, changed = work / f"first-{size}.jsonl", work / f"changed-{size}.jsonl"
        export(org, first)
        altered = change_one_percent(org, graph.total_rows)
        export(org, changed)
        tables = read_rows(collect(org))

        synced_once = partial(_synced_once, models, first)
        sync = partial(import_archive, changed, using=TARGET, pks="remap", sync=True)
        full = partial(import_archive, changed, using=TARGET, pks="remap")
        emptied = partial(empty, models)
        sync_s, sync_q = timed(sync, synced_once, REPEAT, TARGET)
        full_s, full_q = timed(full, emptied, REPEAT, TARGET)
        floor_s, floor_q = timed(partial(raw_floor, tables), emptied, REPEAT, TARGET)
        sync_mib = peak_mib("sync", changed, synced_once)
        full_mib = peak_mib("full", changed, emptied)
        empty(models)
        print(
            f"\n{connections[TARGET].vendor}  N={size:,}  (rows: {graph.total_rows:,}, "
            f"changed at the source: {altered:,})"
        )
        print(f"  {'':<20} {'seconds':>9} {'queries':>8} {'peak RSS MiB (+import)':>23}")
        for name, seconds, queries, mib in (
            ("graft sync (1%)", sync_s, sync_q, sync_mib),
            ("graft remap import", full_s, full_q, full_mib),
            ("raw floor", floor_s, floor_q, None),
        ):
            rss = "-" if mib is None else f"{mib[0]:.0f} (+{mib[1]:.0f})"
            print(f"  {name:<20} {seconds:>9.3f} {queries:>8,} {rss:>23}")
        print(
            f"  sync / full import: {sync_s / full_s:.2f}x   sync / raw floor: "
            f"{sync_s / floor_s:.2f}x   full import / raw floor: {full_s / floor_s:.2f}x",
            flush=True,
        )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--peak"]:
        _measure_peak(sys.argv[2], sys.argv[3])
        sys.exit()
    bench([int(s) for s in (sys.argv[1:] or ["1000", "10000", "100000"])])
