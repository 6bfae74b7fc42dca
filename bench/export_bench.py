"""Benchmark export against Django's serializer and a raw floor, in one run.

For each N, one organisation of the example schema gets a tree of about N
rows, among other organisations that share its users and tags. Four
exports of exactly the same rows are then timed:

* django-graft's ``export()`` (graph walk included), to its archive and to
  a JSON Lines fixture (``format="jsonl"``, Django's serializer per batch);
* Django's ``serializers.serialize("jsonl", ...)`` over querysets filtered
  by the keys the walk found (the walk itself not counted);
* a raw floor: one SELECT per table by key set on a plain cursor (keys as
  one array parameter on PostgreSQL), each row dumped with orjson.

Run through ``bench/run.sh``, which sets up the database.
"""

from __future__ import annotations

import gc
import io
import json
import os
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import django

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "example"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exampleproject.settings")
django.setup()

from django.conf import settings  # noqa: E402

# The example project runs with DEBUG on, which makes every cursor record its
# SQL; a benchmark measures the code, not the debug log.
settings.DEBUG = False

import orjson  # noqa: E402
from django.core import serializers  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Model  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from django_graft import collect, export  # noqa: E402
from django_graft.archive.schema import stored_fields  # noqa: E402
from django_graft.db.batching import chunked, key_batch_size, sorted_keys  # noqa: E402
from django_graft.tree.graph import Graph  # noqa: E402
from tenants.models import Organisation  # noqa: E402
from tenants.seed import seed, seed_tree  # noqa: E402


@dataclass
class Measure:
    name: str
    seconds: float
    peak_mib: float
    queries: int
    rows: int


def _rows_of(graph: Graph) -> list[tuple[type[Model], Sequence[Any]]]:
    return [
        (model, sorted_keys(graph.owned.get(model, set()) | graph.needed.get(model, set())))
        for model in sorted({*graph.owned, *graph.needed}, key=lambda m: m._meta.label)
    ]


def ours(org: Organisation) -> int:
    result = export(org, io.BytesIO())
    return result.total


def ours_fixture(org: Organisation) -> int:
    result = export(org, io.BytesIO(), format="jsonl")
    return result.total


def django_serializer(graph: Graph) -> int:
    out = io.StringIO()
    total = 0
    size = key_batch_size(connection)
    for model, keys in _rows_of(graph):
        for batch in chunked(keys, size):
            queryset = model._base_manager.filter(pk__in=batch).order_by("pk")
            serializers.serialize("jsonl", queryset, stream=out)
            total += len(batch)
    return total


def raw_floor(graph: Graph) -> int:
    out = io.BytesIO()
    total = 0
    size = key_batch_size(connection)
    quote = connection.ops.quote_name
    for model, keys in _rows_of(graph):
        columns = ", ".join(quote(str(f.column)) for f in stored_fields(model))
        pk_field: Any = model._meta.pk
        table, pk = quote(model._meta.db_table), quote(pk_field.column)
        for batch in chunked(keys, size):
            if connection.vendor == "postgresql":
                # One array literal: the driver handles placeholders one by one.
                where = f"{pk} = ANY(%s::bigint[])"
                params = ["{" + ",".join(map(str, batch)) + "}"]
            else:
                where, params = f"{pk} IN ({', '.join(['%s'] * len(batch))})", list(batch)
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT {columns} FROM {table} WHERE {where}", params)
                for row in cursor.fetchall():
                    out.write(orjson.dumps(row, default=str))
                    out.write(b"\n")
                    total += 1
    return total


#: Timed runs per measurement; the best one is reported.
REPEAT = int(os.environ.get("GRAFT_BENCH_REPEAT", "5"))


def measure(name: str, run: Callable[[], int]) -> Measure:
    """Time ``run`` (best of ``REPEAT``), then count its queries and its peak memory.

    The three are separate runs: recording queries and tracing allocations
    both slow a run down, and would blur the times they are compared with.
    """
    seconds = float("inf")
    for _ in range(REPEAT):
        gc.collect()
        started = time.perf_counter()
        rows = run()
        seconds = min(seconds, time.perf_counter() - started)
    with CaptureQueriesContext(connection) as ctx:
        run()
    gc.collect()
    tracemalloc.start()
    run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return Measure(name, seconds, peak / 2**20, len(ctx.captured_queries), rows)


def bench(sizes: list[int]) -> list[dict[str, Any]]:
    call_command("migrate", verbosity=0)
    seed(organisations=3, meetings_per_org=4, items_per_meeting=5)
    results = []
    for size in sizes:
        org = Organisation.objects.get(pk=seed_tree(rows=size))
        graph = collect(org)
        runs = {
            "graft": measure("graft export", lambda org=org: ours(org)),  # type: ignore[misc]
            "fixture": measure("graft jsonl fixture", lambda org=org: ours_fixture(org)),  # type: ignore[misc]
            "django": measure("django serializer", lambda g=graph: django_serializer(g)),  # type: ignore[misc]
            "raw": measure("raw floor", lambda g=graph: raw_floor(g)),  # type: ignore[misc]
        }
        results.append(
            {
                "vendor": connection.vendor,
                "n": size,
                "rows": graph.total_rows,
                **{key: asdict(value) for key, value in runs.items()},
                "graft_vs_raw": runs["graft"].seconds / runs["raw"].seconds,
                "django_vs_graft": runs["django"].seconds / runs["graft"].seconds,
                "django_vs_fixture": runs["django"].seconds / runs["fixture"].seconds,
            }
        )
        report(results[-1])
    return results


def report(result: dict[str, Any]) -> None:
    print(
        f"\n{result['vendor']}  N={result['n']:,}  (tree rows exported: {result['rows']:,})",
        flush=True,
    )
    print(f"  {'':<20} {'seconds':>9} {'peak MiB':>9} {'queries':>8} {'rows':>8}")
    for key in ("graft", "fixture", "django", "raw"):
        m = result[key]
        print(
            f"  {m['name']:<20} {m['seconds']:>9.3f} {m['peak_mib']:>9.1f} "
            f"{m['queries']:>8} {m['rows']:>8}"
        )
    print(
        f"  graft / raw floor: {result['graft_vs_raw']:.2f}x   "
        f"django serializer / graft: {result['django_vs_graft']:.2f}x   "
        f"django serializer / graft fixture: {result['django_vs_fixture']:.2f}x",
        flush=True,
    )


if __name__ == "__main__":
    sizes = [int(s) for s in (sys.argv[1:] or ["1000", "10000", "100000"])]
    output = bench(sizes)
    target = Path(__file__).resolve().parent / "results"
    target.mkdir(exist_ok=True)
    (target / f"export-{connection.vendor}.json").write_text(json.dumps(output, indent=2))
