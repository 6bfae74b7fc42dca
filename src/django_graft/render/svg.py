"""Draw a graph at model level as inline SVG, for pages that must not fetch anything.

Models are laid out in columns by the length of the path that brought them
in (roots on the left), the path the plan's "why" column shows; each node shows the model and its
rows per role. The edge that brought each model in is drawn with the
relation's name and the rows it reached; the other edges the walk followed
are faint dashed lines, named in their tooltips. The drawing is
self-contained: no script, no font or style sheet to load.
"""

from __future__ import annotations

from collections import defaultdict
from html import escape

from django.db.models import Model

from django_graft.schema.edges import Edge
from django_graft.schema.labels import model_label
from django_graft.tree.graph import Graph, ModelCount, Role

_WIDTH, _HEIGHT = 200, 46
_COLUMN_GAP, _ROW_GAP, _MARGIN = 70, 22, 12
_FILL = {Role.OWN: "#cfe8cf", Role.NEED: "#fdf0c2", Role.REFERENCE: "#eeeeee"}


def _role(graph: Graph, model: type[Model]) -> Role:
    if model in graph.owned:
        return Role.OWN
    if model in graph.needed:
        return Role.NEED
    return Role.REFERENCE


def _columns(graph: Graph, models: list[type[Model]]) -> dict[type[Model], int]:
    """Each model's column: the length of the path that brought it in (roots: 0)."""
    return {model: len(graph.path_to(model)) for model in models}


def _counts_text(count: ModelCount) -> str:
    parts = [
        f"{n} {word}"
        for n, word in (
            (count.owned, "owned"),
            (count.needed, "needed"),
            (count.referenced, "referenced"),
        )
        if n
    ]
    return ", ".join(parts)


def _edge(
    edge: Edge,
    target: type[Model],
    found: int,
    place: dict[type[Model], tuple[int, int]],
    graph: Graph,
) -> str:
    """One edge: the one that brought ``target`` in is drawn and named; the others faint.

    Every edge keeps its name and row count in a ``<title>`` (a tooltip), so
    a dense graph stays readable without losing anything.
    """
    (x1, y1), (x2, y2) = place[edge.source], place[target]
    if edge.source is target:  # a model pointing at itself: a loop over its top edge
        start, end = (x1 + _WIDTH - 60, y1), (x1 + _WIDTH - 20, y1)
        path = f"M {start[0]} {start[1]} C {start[0]} {y1 - 30}, {end[0]} {y1 - 30}, {end[0]} {y1}"
        label_at = (x1 + _WIDTH - 40, y1 - 26)
    else:
        start = (x1 + _WIDTH, y1 + _HEIGHT // 2) if x2 > x1 else (x1, y1 + _HEIGHT // 2)
        end = (x2, y2 + _HEIGHT // 2) if x2 > x1 else (x2 + _WIDTH, y2 + _HEIGHT // 2)
        bend = 40 if x2 > x1 else -40
        path = (
            f"M {start[0]} {start[1]} C {start[0] + bend} {start[1]}, "
            f"{end[0] - bend} {end[1]}, {end[0]} {end[1]}"
        )
        label_at = ((start[0] + end[0]) // 2, (start[1] + end[1]) // 2 - 5)
    text = f"{edge.name} ({found})"
    reason = graph.reasons.get(target)
    if reason is not None and reason.edge is edge:
        return (
            f'<g class="graft-edge"><title>{escape(edge.label)}: {found} rows</title>'
            f'<path d="{path}" stroke="#555" fill="none" marker-end="url(#graft-arrow)"/>'
            f'<text x="{label_at[0]}" y="{label_at[1]}" text-anchor="middle" fill="#333" '
            f'font-size="11">{escape(text)}</text></g>'
        )
    return (
        f'<g class="graft-edge graft-edge-other"><title>{escape(edge.label)}: {found} rows'
        f'</title><path d="{path}" stroke="#bbb" stroke-dasharray="3 3" fill="none"/></g>'
    )


def to_svg(graph: Graph) -> str:
    """The model-level picture of ``graph`` as one ``<svg>`` element."""
    counts = {count.model: count for count in graph.counts()}
    models = sorted(counts, key=model_label)
    columns = _columns(graph, models)
    rows: dict[int, int] = defaultdict(int)
    place: dict[type[Model], tuple[int, int]] = {}
    for model in sorted(models, key=lambda m: (columns[m], model_label(m))):
        column = columns[model]
        x = _MARGIN + column * (_WIDTH + _COLUMN_GAP)
        y = _MARGIN + rows[column] * (_HEIGHT + _ROW_GAP)
        rows[column] += 1
        place[model] = (x, y)
    width = _MARGIN * 2 + (max(columns.values(), default=0) + 1) * (_WIDTH + _COLUMN_GAP)
    height = _MARGIN * 2 + max(rows.values(), default=1) * (_HEIGHT + _ROW_GAP)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="graft-picture" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        'aria-label="Models of the tree, with rows per role and the relations followed" '
        'font-family="sans-serif" font-size="12">',
        '<defs><marker id="graft-arrow" viewBox="0 0 10 10" refX="10" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>',
    ]
    for (edge, target), found in sorted(
        graph.edge_rows.items(), key=lambda item: (item[0][0].label, model_label(item[0][1]))
    ):
        if edge.source in place and target in place:
            parts.append(_edge(edge, target, found, place, graph))
    for model, (x, y) in place.items():
        count = counts[model]
        role = _role(graph, model)
        dash = ' stroke-dasharray="4"' if role is Role.REFERENCE else ""
        parts.append(
            f'<g class="graft-node graft-{role.value}" data-model="{escape(count.label)}">'
            f'<rect x="{x}" y="{y}" width="{_WIDTH}" height="{_HEIGHT}" rx="4" '
            f'fill="{_FILL[role]}" stroke="#777"{dash}/>'
            f'<text x="{x + 8}" y="{y + 18}" font-weight="bold">{escape(count.label)}</text>'
            f'<text x="{x + 8}" y="{y + 36}">{escape(_counts_text(count))}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)
