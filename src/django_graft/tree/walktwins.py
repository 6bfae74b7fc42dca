"""Forward edges that can only lead back: the links a reverse edge found rows by.

A reverse edge finds the rows whose link holds a key of rows the walk owns
(``Task.project`` finds the tasks of owned projects). Followed forward from
those rows, the same link can only lead back to keys owned already, so
reading it finds nothing: on a tree of a million rows in tables, those
statements and the deletes that take their keys out again were about half
of a walk's time. When every key of a round's frontier was found through
such reverse edges, the forward edge they mirror is not read; it is still
recorded as leading to those rows (by the count of rows it would have been
read from), so the graph's account of its edges, and what orders the rows
by them, stay as they were.
"""

from __future__ import annotations

from collections import Counter

from django.db.models import Model

from django_graft.schema.edges import Edge, EdgeKind
from django_graft.schema.labels import concrete


def mirrors(forward: Edge, reverse: Edge) -> bool:
    """Whether ``forward`` reads the link ``reverse`` found its rows by, back to its keys."""
    if forward.source is not reverse.target:
        return False
    if forward.kind is EdgeKind.FORWARD and reverse.kind is EdgeKind.REVERSE:
        # One column holding the key the reverse edge matched: a link by
        # other columns maps its values through another lookup.
        return bool(forward.fk is reverse.fk and forward.via_pk and reverse.via_pk)
    if forward.kind is EdgeKind.GENERIC_FORWARD and reverse.kind is EdgeKind.GENERIC_REVERSE:
        generic, relation = forward.generic, reverse.generic
        return bool(
            generic.ct_field == relation.content_type_field_name
            and generic.fk_field == relation.object_id_field_name
        )
    return False


def known_targets(forward: Edge, found_by: Counter[Edge]) -> list[tuple[type[Model], int]] | None:
    """Where ``forward`` leads from keys ``found_by`` found, when known without reading it.

    ``found_by`` counts the keys each edge found for the rows ``forward``
    starts from. ``None`` when some were found another way (or none were
    found at all, as roots are): then only reading the link tells.
    """
    if not found_by or not all(mirrors(forward, edge) for edge in found_by):
        return None
    targets: Counter[type[Model]] = Counter()
    for edge, count in found_by.items():
        targets[concrete(edge.source)] += count
    return list(targets.items())
