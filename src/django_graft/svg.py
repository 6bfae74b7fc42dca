"""Draw a graph at model level as inline SVG, for pages that must not fetch anything.

Models are laid out in columns by their distance from the roots along the
edges the walk took (roots on the left); each node shows the model and its
rows per role, each edge the relation's name and the rows it reached. The
drawing is self-contained: no script, no font or style sheet to load.
"""

from __future__ import annotations

from collections import defaultdict, deque
from html import escape

from django.db.models import Model

from .graph import Graph, ModelCount, Role
from .labels import model_label

_WIDTH, _HEIGHT = 230, 46
_COLUMN_GAP, _ROW_GAP, _MARGIN = 90, 26, 12
_FILL = {Role.OWN: "#cfe8cf", Role.NEED: "#fdf0c2", Role.REFERENCE: "#eeeeee"}


def _role(graph: Graph, model: type[Model]) -> Role:
    if model in graph.owned:
        return Role.OWN
    if model in graph.needed:
        return Role.NEED
    return Role.REFERENCE


def _columns(graph: Graph, models: list[type[Model]]) -> dict[type[Model], int]:
    """Each model's distance from the roots along the walk's edges."""
    following: dict[type[Model], set[type[Model]]] = defaultdict(set)
    for edge, target in graph.edge_rows:
        following[edge.source].add(target)
    column = dict.fromkeys(graph.roots, 0)
    queue = deque(graph.roots)
    while queue:
        model = queue.popleft()
        for target in sorted(following[model], key=model_label):
            if target not in column:
                column[target] = column[model] + 1
                queue.append(target)
    deepest = max(column.values(), default=0)
    return {model: column.get(model, deepest + 1) for model in models}


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
        if edge.source not in place or target not in place:
            continue
        (x1, y1), (x2, y2) = place[edge.source], place[target]
        start = (x1 + _WIDTH, y1 + _HEIGHT // 2)
        end = (x2, y2 + _HEIGHT // 2) if x2 > x1 else (x2 + _WIDTH // 2, y2)
        if edge.source is target:  # a model pointing at itself: a loop above it
            start, end = (x1 + _WIDTH - 40, y1), (x1 + _WIDTH - 10, y1)
        mid_x, mid_y = (start[0] + end[0]) // 2, (start[1] + end[1]) // 2 - 4
        parts.append(
            f'<g class="graft-edge"><path d="M {start[0]} {start[1]} L {end[0]} {end[1]}" '
            'stroke="#555" fill="none" marker-end="url(#graft-arrow)"/>'
            f'<text x="{mid_x}" y="{mid_y}" text-anchor="middle" fill="#333">'
            f"{escape(edge.name)} ({found})</text></g>"
        )
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
