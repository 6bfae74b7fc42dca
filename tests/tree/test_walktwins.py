"""A walk in tables does not read the links back to the rows that found a round's keys."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.models import Model
from django.test.utils import CaptureQueriesContext

from django_graft import collect
from django_graft.schema.edges import edges_of
from django_graft.schema.labels import model_label
from django_graft.tree.graph import Graph
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db


def labelled(graph: Graph) -> set[tuple[str, str]]:
    return {(edge.label, model_label(target)) for edge, target in graph.edge_rows}


def walked_in_tables(world: World) -> tuple[Graph, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        graph = collect(world.org, server_side_keys=1)
    return graph, [query["sql"] for query in queries.captured_queries]


def reads_column(statements: list[str], model: type[Model], field: str) -> bool:
    """Whether a statement selects the values of ``model.field`` (a forward edge's read)."""
    quote = connection.ops.quote_name
    stored: Any = model._meta.get_field(field)
    column = f"{quote(model._meta.db_table)}.{quote(stored.column)}"
    return any(f"SELECT DISTINCT {column}" in sql for sql in statements)


def test_links_back_to_the_rows_that_found_them_are_not_read(world: World) -> None:
    graph, statements = walked_in_tables(world)
    try:
        # Found only through project.milestones and through the generic
        # relations of their targets: their links can only lead back.
        assert not reads_column(statements, m.Milestone, "project")
        assert not reads_column(statements, m.Note, "object_id")
        # Tasks are found through their project and through their parent:
        # a link not taken to find all of them is read.
        assert reads_column(statements, m.Task, "parent")
    finally:
        graph.close()


def test_the_links_not_read_are_still_counted_as_edges_with_rows(world: World) -> None:
    in_tables, _ = walked_in_tables(world)
    in_python = collect(world.org)
    try:
        milestones = m.Milestone.objects.filter(project__organisation=world.org).count()
        assert milestones
        (milestone_project,) = (e for e in edges_of(m.Milestone) if e.name == "project")
        assert in_tables.edge_rows[milestone_project, m.Project] == milestones

        tables, python = labelled(in_tables), labelled(in_python)
        assert tables <= python  # both say an edge has rows (tables leave out some seen)
        assert {
            ("testapp.milestone.project", "testapp.project"),
            ("testapp.note.target", "testapp.organisation"),
            ("testapp.note.target", "testapp.project"),
        } <= tables
    finally:
        in_tables.close()
