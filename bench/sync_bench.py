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

The goal: a 1%-changed sync at most half the time of the full import.
Run through ``bench/run.sh``, or alone with the example's database settings.
"""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path

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
        empty(models)
        print(
            f"\n{connections[TARGET].vendor}  N={size:,}  (rows: {graph.total_rows:,}, "
            f"changed at the source: {altered:,})"
        )
        print(f"  {'':<20} {'seconds':>9} {'queries':>8}")
        for name, seconds, queries in (
            ("graft sync (1%)", sync_s, sync_q),
            ("graft remap import", full_s, full_q),
            ("raw floor", floor_s, floor_q),
        ):
            print(f"  {name:<20} {seconds:>9.3f} {queries:>8,}")
        print(
            f"  sync / full import: {sync_s / full_s:.2f}x   sync / raw floor: "
            f"{sync_s / floor_s:.2f}x   full import / raw floor: {full_s / floor_s:.2f}x",
            flush=True,
        )


if __name__ == "__main__":
    bench([int(s) for s in (sys.argv[1:] or ["1000", "10000", "100000"])])
