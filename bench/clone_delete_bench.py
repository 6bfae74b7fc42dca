"""Benchmark clone and delete against Django and raw floors, in one run.

For each N, one organisation of the example schema gets a tree of about N
rows among other organisations that share its users and tags. Then:

Clone, timed against the floors of the two halves it is made of:

* django-graft's ``clone()`` of the organisation (walk, archive, import
  with new keys, cross-link check), the copy deleted again between runs;
* the raw export floor (one SELECT per table by key set, rows dumped with
  orjson) plus the raw import floor (the same rows written to an empty
  database with ``COPY`` on PostgreSQL, ``executemany`` elsewhere), each
  measured as in the export and import benchmarks.

Delete, each run on the same tree, restored between runs by importing an
archive of it with the keys kept:

* django-graft's ``delete()`` of the organisation (walk and outside scan
  included);
* Django's ``Organisation.delete()``;
* a raw floor: one ``DELETE`` per table and batch of the keys found
  beforehand, children first, in one transaction.

Run through ``bench/run.sh``, which sets up both databases.
"""

from __future__ import annotations

import gc
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from django.core.management import call_command
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from bench import export_bench, import_bench
from django_graft import clone, collect, delete, export, import_archive
from django_graft.db.batching import chunked, key_batch_size, sorted_keys
from django_graft.tree.graph import Graph
from django_graft.tree.ordering import dependency_order
from tenants.models import Organisation
from tenants.seed import seed, seed_tree

REPEAT = int(os.environ.get("GRAFT_BENCH_REPEAT", "3"))


def timed(
    run: Callable[[], Any], before: Callable[[], Any], repeat: int, using: str = "default"
) -> tuple[float, int]:
    """Best time of ``repeat`` runs of ``run`` (``before`` each, untimed), then its queries.

    The queries are those sent to database ``using``.
    """
    seconds = float("inf")
    for _ in range(repeat):
        before()
        gc.collect()
        started = time.perf_counter()
        run()
        seconds = min(seconds, time.perf_counter() - started)
    before()
    with CaptureQueriesContext(connections[using]) as ctx:
        run()
    return seconds, len(ctx.captured_queries)


def raw_delete(graph: Graph) -> None:
    """The floor: the DELETE statements alone, for keys known beforehand."""
    quote = connection.ops.quote_name
    size = key_batch_size(connection)
    order = reversed(dependency_order([m for m, k in graph.owned.items() if k], graph.policy))
    # As for the import floor: MariaDB would check each deleted row's links.
    with (
        transaction.atomic(),
        connection.constraint_checks_disabled(),
        connection.cursor() as cursor,
    ):
        for model in order:
            table, pk = quote(model._meta.db_table), quote(str(model._meta.pk.column))
            for batch in chunked(sorted_keys(graph.owned[model]), size):
                if connection.vendor == "postgresql":
                    params = ["{" + ",".join(map(str, batch)) + "}"]
                    cursor.execute(f"DELETE FROM {table} WHERE {pk} = ANY(%s::bigint[])", params)
                else:
                    marks = ", ".join(["%s"] * len(batch))
                    cursor.execute(f"DELETE FROM {table} WHERE {pk} IN ({marks})", batch)


def bench_clone(org: Organisation, graph: Graph) -> None:
    names = {
        "tenants.Organisation.name": lambda row: f"{row['name']} (copy)",
        "tenants.Organisation.slug": lambda row: f"{row['slug']}-copy",
    }

    def remove_copies() -> None:
        copies = Organisation.objects.filter(slug__endswith="-copy")
        if copies.exists():
            delete(copies)

    models = import_bench._models(graph)
    tables = import_bench.read_rows(graph)
    ours, queries = timed(lambda: clone(org, set_fields=names), remove_copies, REPEAT)
    remove_copies()
    # The floors are short and noisy: they get more runs than the clone.
    exported, _ = timed(lambda: export_bench.raw_floor(graph), lambda: None, 2 * REPEAT)
    imported, _ = timed(
        lambda: import_bench.raw_floor(tables),
        lambda: import_bench.empty_target(models),
        2 * REPEAT,
    )
    import_bench.empty_target(models)
    floor = exported + imported
    print(f"  {'graft clone':<24} {ours:>9.3f} {queries:>8,}")
    print(f"  {'raw export + import':<24} {floor:>9.3f}   ({exported:.3f} + {imported:.3f})")
    print(f"  graft clone / raw floors: {ours / floor:.2f}x", flush=True)


def bench_delete(org: Organisation, graph: Graph, archive: Path) -> None:
    pk = org.pk

    def restore() -> None:
        if not Organisation.objects.filter(pk=pk).exists():
            import_archive(archive)

    def django_delete() -> None:
        Organisation.objects.get(pk=pk).delete()

    runs = {
        "graft delete": timed(lambda: delete({Organisation: [pk]}), restore, REPEAT),
        # The slow baseline gets one run, which can only favour it.
        "django Model.delete()": timed(django_delete, restore, 1),
        "raw floor": timed(lambda: raw_delete(graph), restore, REPEAT),
    }
    restore()
    for name, (seconds, queries) in runs.items():
        print(f"  {name:<24} {seconds:>9.3f} {queries:>8,}")
    ours, django_seconds, floor = (seconds for seconds, _ in runs.values())
    print(
        f"  graft delete / Model.delete(): {ours / django_seconds:.2f}x   "
        f"graft / raw floor: {ours / floor:.2f}x",
        flush=True,
    )


def bench(sizes: list[int]) -> None:
    call_command("migrate", verbosity=0)
    call_command("migrate", verbosity=0, database=import_bench.TARGET)
    seed(organisations=3, meetings_per_org=4, items_per_meeting=5)
    work = Path(tempfile.mkdtemp())
    for size in sizes:
        org = Organisation.objects.get(pk=seed_tree(rows=size))
        graph = collect(org)
        archive = work / f"org-{size}.jsonl"
        export(org, archive)
        print(f"\n{connection.vendor}  N={size:,}  (tree rows: {graph.total_rows:,})")
        print(f"  {'':<24} {'seconds':>9} {'queries':>8}")
        bench_clone(org, graph)
        bench_delete(org, graph, archive)


if __name__ == "__main__":
    bench([int(s) for s in (sys.argv[1:] or ["1000", "10000", "100000"])])
