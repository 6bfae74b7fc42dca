"""Key tables stay linear when PostgreSQL misjudges how many rows a step of a walk finds.

Statistics taken before a tree was loaded (an autoanalyze in the middle of
a bulk load, say) make PostgreSQL expect a row or two where there are
thousands. A plan that then reads a key table for each of those rows (a
nested loop over a table without an index) costs their product: an export
of a million rows took minutes instead of seconds. Every statement naming a
key table is run once more beforehand, explained and undone, and the plan's
nested loops are checked for a key table read per row of many.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import override_settings

from django_graft import collect, delete, export
from django_graft.db.keytables import KeyTable
from tests.testapp import models as m
from tests.testapp.world import World, build_tenant

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner"),
]

#: Plan nodes a nested loop reads again, row by row, whatever they hold.
_PASSED_THROUGH = ("Materialize", "Hash", "Sort", "Aggregate", "Memoize")

#: Outer rows, and keys in a table, a nested loop may go through at no real cost.
_FEW = 20

#: The statements PostgreSQL plans (and explains).
_PLANNED = ("SELECT", "INSERT", "DELETE", "UPDATE", "WITH")


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from _nodes(child)


def _read_per_row(plan: dict[str, Any]) -> list[str]:
    """The key tables a nested loop of ``plan`` read whole for each of many outer rows."""
    found = []
    for node in _nodes(plan):
        if node["Node Type"] != "Nested Loop":
            continue
        inner = node["Plans"][1]
        loops = inner["Actual Loops"]
        while inner["Node Type"] in _PASSED_THROUGH:
            inner = inner["Plans"][0]
        relation = inner.get("Relation Name", "")
        read = inner.get("Actual Rows", 0) + inner.get("Rows Removed by Filter", 0)
        # Read (or its copy read) once per outer row: harmless for a few rows.
        scanned = inner["Node Type"] == "Seq Scan" and relation.startswith("graft_keys")
        if scanned and loops > _FEW and read > _FEW:
            found.append(relation)
    return found


@pytest.fixture
def stale_tree(world: World) -> m.Organisation:
    """A tenant loaded after the statistics were taken, which know none of its rows."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    loaded: m.Organisation = m.Organisation.objects.create(name="Loaded after the statistics")
    build_tenant(loaded, world, size=300)
    return loaded


def _planned(operation: Callable[[], Any]) -> list[str]:
    """The statements naming a key table that read one per row, as ``operation`` runs them."""
    bad: list[str] = []

    def explain(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if "graft_keys" in sql and sql.lstrip().upper().startswith(_PLANNED):
            # Run once to count the rows each step read, then undone.
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
                plan = cursor.fetchone()[0]
                transaction.set_rollback(True)
            plan = json.loads(plan) if isinstance(plan, str) else plan
            if _read_per_row(plan[0]["Plan"]):
                bad.append(sql)
        return execute(sql, params, many, context)

    with (
        override_settings(GRAFT={"SERVER_SIDE_KEYS": 1}),
        transaction.atomic(),
        connection.execute_wrapper(explain),
    ):
        operation()
        transaction.set_rollback(True)
    return bad


def test_keys_found_by_a_misjudged_query_join_a_large_table_linearly(
    stale_tree: m.Organisation,
) -> None:
    """The statement a walk's step makes: a table of keys, and a query finding many more."""
    table = KeyTable(m.Project, connection.alias)
    try:
        found = m.Project.objects.filter(organisation=stale_tree).values_list("pk", flat=True)
        keys = sorted(found)
        table.add(keys[::2])

        def add_the_rest() -> None:
            assert table.add_query(found, distinct=True) == len(keys) - len(keys[::2])

        assert _planned(add_the_rest) == []
    finally:
        table.drop()


def test_a_walk_reads_no_key_table_per_row(stale_tree: m.Organisation) -> None:
    assert _planned(lambda: collect(stale_tree, server_side_keys=1).close()) == []


def test_an_export_reads_no_key_table_per_row(stale_tree: m.Organisation) -> None:
    assert _planned(lambda: export(stale_tree, io.BytesIO())) == []


def test_a_delete_reads_no_key_table_per_row(stale_tree: m.Organisation) -> None:
    assert _planned(lambda: delete(stale_tree)) == []
    assert m.Organisation.objects.filter(pk=stale_tree.pk).exists()  # rolled back
