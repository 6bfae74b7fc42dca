"""Benchmark what dynamic edges cost: a clone of one tree with and without them.

For each N, one organisation of the example schema gets a tree of about N
rows; then every agenda item's ``links`` (a JSON field) name the item before
it in its meeting and its first proposal, as keys. Measured in the same run,
on the same rows:

* ``graft clone``: ``clone()`` under the default policy, which copies the
  links as they are (they still name the originals);
* ``graft clone, dynamic``: ``clone()`` under ``tenants.policies.LINKED``,
  which declares the links as dynamic edges: the walk follows them and the
  copies' links name the copies.

The two take turns, run after run, so that a machine slower for a while
slows both: each reports its best time.

The goal: dynamic edges cost at most 20% over the same tree without them.
Run through ``bench/run.sh``, or alone with the example's database settings.
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from bench.clone_delete_bench import REPEAT
from bench.import_bench import trees
from django_graft import Policy, clone, delete
from tenants.models import AgendaItem, Organisation
from tenants.policies import LINKED

NAMES = {
    "tenants.Organisation.name": lambda row: f"{row['name']} (copy)",
    "tenants.Organisation.slug": lambda row: f"{row['slug']}-copy",
}


def link_items(org: Organisation) -> int:
    """Fill the tree's agenda items' links with keys; return how many items hold some."""
    items = list(
        AgendaItem.objects.filter(meeting__organisation=org)
        .order_by("meeting_id", "pk")
        .values_list("pk", "meeting_id")
    )
    first_proposal: dict[int, int] = {}
    for item, proposal in (
        AgendaItem.objects.filter(meeting__organisation=org, proposals__isnull=False)
        .order_by("-proposals__pk")
        .values_list("pk", "proposals__pk")
    ):
        first_proposal[item] = proposal
    changed = []
    previous: tuple[int, int] | None = None
    for pk, meeting in items:
        links: dict[str, object] = {"see_also": [], "note": "kept as it is"}
        if previous is not None and previous[1] == meeting:
            links["see_also"] = [previous[0]]
        if pk in first_proposal:
            links["decided_by"] = first_proposal[pk]
        changed.append(AgendaItem(pk=pk, links=links))
        previous = (pk, meeting)
    with transaction.atomic():
        AgendaItem.objects.bulk_update(changed, ["links"], batch_size=2_000)
    return len(changed)


def remove_copies() -> None:
    copies = Organisation.objects.filter(slug__endswith="-copy")
    if copies.exists():
        delete(copies)


def taking_turns(
    runs: dict[str, Callable[[], Any]], before: Callable[[], Any], repeat: int
) -> dict[str, tuple[float, int]]:
    """``{name: (best seconds, queries)}`` of ``runs``, timed in turn (``before`` each, untimed)."""
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(repeat):
        for name, run in runs.items():
            before()
            gc.collect()
            started = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - started)
    measured = {}
    for name, run in runs.items():
        before()
        with CaptureQueriesContext(connection) as ctx:
            run()
        measured[name] = (best[name], len(ctx.captured_queries))
    return measured


def bench(sizes: list[int]) -> None:
    for size, org, graph, _ in trees(sizes):
        linked = link_items(org)
        plain = Policy()

        def cloned(policy: Policy, org: Organisation = org) -> Any:
            return clone(org, policy=policy, set_fields=NAMES)

        runs = taking_turns(
            {
                "graft clone": partial(cloned, plain),
                "graft clone, dynamic": partial(cloned, LINKED),
            },
            remove_copies,
            REPEAT,
        )
        remove_copies()
        print(
            f"\n{connection.vendor}  N={size:,}  (tree rows: {graph.total_rows:,}; agenda items "
            f"with links: {linked:,})"
        )
        print(f"  {'':<24} {'seconds':>9} {'queries':>8}")
        for name, (seconds, queries) in runs.items():
            print(f"  {name:<24} {seconds:>9.3f} {queries:>8,}")
        (without, _), (dynamic, _) = runs.values()
        print(f"  dynamic edges / without: {dynamic / without:.2f}x", flush=True)


if __name__ == "__main__":
    bench([int(s) for s in (sys.argv[1:] or ["1000", "10000", "100000"])])
