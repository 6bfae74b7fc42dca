"""Benchmark import against loaddata and a raw floor, in one run.

For each N, one organisation of the example schema gets a tree of about N
rows; it is exported once, then loaded into the empty second database
(``copy``) four ways, the target emptied before each run:

* django-graft's ``import_archive()`` of the archive, keeping keys (reading,
  verifying and planning included), and of the JSON fixture below;
* Django's ``loaddata`` of a JSON fixture holding exactly the same rows, in
  dependency order;
* a raw floor: the same rows, read from the source and prepared beforehand,
  written one table at a time in dependency order, in one transaction, with
  the fastest plain tool of the database: ``COPY … FROM STDIN`` on
  PostgreSQL, ``executemany`` elsewhere.

Run through ``bench/run.sh``, which sets up both databases.
"""

from __future__ import annotations

import gc
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import django

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "example"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exampleproject.settings")
django.setup()

from django.conf import settings  # noqa: E402

# See export_bench: measure the code, not the debug log.
settings.DEBUG = False

from django.core import serializers  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connections, transaction  # noqa: E402
from django.db.models import Model  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

warnings.filterwarnings("ignore", "Limit for query logging exceeded")

from django_graft import collect, export, import_archive  # noqa: E402
from django_graft.archive.schema import stored_fields  # noqa: E402
from django_graft.db.batching import chunked, key_batch_size  # noqa: E402
from django_graft.tree.graph import Graph  # noqa: E402
from django_graft.tree.ordering import dependency_order  # noqa: E402
from tenants.models import Organisation  # noqa: E402
from tenants.seed import seed, seed_tree  # noqa: E402

TARGET = "copy"
REPEAT = int(os.environ.get("GRAFT_BENCH_REPEAT", "5"))


def _models(graph: Graph) -> list[type[Model]]:
    return dependency_order({*graph.owned, *graph.needed}, graph.policy)


def empty_target(models: list[type[Model]]) -> None:
    connection = connections[TARGET]
    quote = connection.ops.quote_name
    with (
        transaction.atomic(using=TARGET),
        connection.constraint_checks_disabled(),
        connection.cursor() as cursor,
    ):
        for model in reversed(models):
            cursor.execute(f"DELETE FROM {quote(model._meta.db_table)}")


def write_fixture(graph: Graph, path: Path) -> None:
    with path.open("w") as out:
        # Auto-created through rows travel as many-to-many values of their
        # model, as dumpdata writes them.
        objects = (
            obj
            for model in _models(graph)
            if not model._meta.auto_created
            for obj in model._base_manager.filter(
                pk__in=sorted(graph.owned.get(model, set()) | graph.needed.get(model, set()))
            ).order_by("pk")
        )
        serializers.serialize("json", objects, stream=out)


def read_rows(graph: Graph) -> list[tuple[str, list[tuple[Any, ...]]]]:
    """``(statement, rows)`` per table, in dependency order, for the floor."""
    connection = connections["default"]
    quote = connection.ops.quote_name
    tables = []
    for model in _models(graph):
        fields = stored_fields(model)
        columns = ", ".join(quote(str(f.column)) for f in fields)
        keys = sorted(graph.owned.get(model, set()) | graph.needed.get(model, set()))
        # Batches of keys: one IN list of a million is more than SQLite takes.
        rows = [
            row
            for batch in chunked(keys, key_batch_size(connection))
            for row in model._base_manager.filter(pk__in=batch).values_list(
                *(f.attname for f in fields)
            )
        ]
        prepared = [
            tuple(
                f.get_db_prep_save(v, connections[TARGET]) for f, v in zip(fields, row, strict=True)
            )
            for row in rows
        ]
        table = quote(model._meta.db_table)
        if connections[TARGET].vendor == "postgresql":
            tables.append((f"COPY {table} ({columns}) FROM STDIN", prepared))
        else:
            marks = ", ".join(["%s"] * len(fields))
            tables.append((f"INSERT INTO {table} ({columns}) VALUES ({marks})", prepared))
    return tables


def raw_floor(tables: list[tuple[str, list[tuple[Any, ...]]]]) -> None:
    # Foreign keys unchecked while the rows go in, where the database would
    # check each row (MariaDB): the floor writes in any order, as COPY does.
    target = connections[TARGET]
    with (
        transaction.atomic(using=TARGET),
        target.constraint_checks_disabled(),
        target.cursor() as cursor,
    ):
        for sql, rows in tables:
            if sql.startswith("COPY"):
                with cursor.cursor.copy(sql) as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                cursor.executemany(sql, rows)


def _ours(archive: Path) -> Callable[[], Any]:
    return lambda: import_archive(archive, using=TARGET)


def _loaddata(fixture: Path) -> Callable[[], Any]:
    return lambda: call_command("loaddata", str(fixture), database=TARGET, verbosity=0)


def measure(
    name: str, run: Callable[[], Any], models: list[type[Model]], repeat: int
) -> dict[str, Any]:
    seconds = float("inf")
    for _ in range(repeat):
        empty_target(models)
        gc.collect()
        started = time.perf_counter()
        run()
        seconds = min(seconds, time.perf_counter() - started)
    empty_target(models)
    log = connections[TARGET].queries_log
    log.clear()
    with CaptureQueriesContext(connections[TARGET]) as ctx:
        run()
    empty_target(models)
    queries = len(ctx.captured_queries)
    # Django keeps the last 9,000 queries only; loaddata sends far more.
    shown = f"{queries:,}+" if log.maxlen is not None and queries >= log.maxlen else f"{queries:,}"
    return {"name": name, "seconds": seconds, "queries": shown}


def trees(sizes: list[int]) -> Iterator[tuple[int, Organisation, Graph, Path]]:
    """Both databases migrated, the example seeded, then one tree of about each size.

    Yields the size, the organisation, its graph and a folder for its files.
    """
    call_command("migrate", verbosity=0)
    call_command("migrate", verbosity=0, database=TARGET)
    seed(organisations=3, meetings_per_org=4, items_per_meeting=5)
    work = Path(tempfile.mkdtemp())
    for size in sizes:
        org = Organisation.objects.get(pk=seed_tree(rows=size))
        yield size, org, collect(org), work


def bench(sizes: list[int]) -> None:
    for size, org, graph, work in trees(sizes):
        models = _models(graph)
        archive, fixture = work / f"org-{size}.jsonl", work / f"org-{size}.json"
        export(org, archive)
        write_fixture(graph, fixture)
        tables = read_rows(graph)
        runs = [
            measure("graft import", _ours(archive), models, REPEAT),
            # The same fixture loaddata reads, through graft_import.
            measure("graft fixture", _ours(fixture), models, REPEAT),
            # The slow baseline gets one run, which can only favour it.
            measure("django loaddata", _loaddata(fixture), models, 1),
            measure("raw floor", lambda tables=tables: raw_floor(tables), models, REPEAT),  # type: ignore[misc]
        ]
        ours, fixture_import, loaddata, floor = (r["seconds"] for r in runs)
        print(f"\n{connections[TARGET].vendor}  N={size:,}  (rows imported: {graph.total_rows:,})")
        print(f"  {'':<18} {'seconds':>9} {'queries':>8}")
        for r in runs:
            print(f"  {r['name']:<18} {r['seconds']:>9.3f} {r['queries']:>8}")
        print(
            f"  graft / raw floor: {ours / floor:.2f}x   loaddata / graft: {loaddata / ours:.2f}x"
            f"   loaddata / graft fixture: {loaddata / fixture_import:.2f}x",
            flush=True,
        )


if __name__ == "__main__":
    bench([int(s) for s in (sys.argv[1:] or ["1000", "10000", "100000"])])
