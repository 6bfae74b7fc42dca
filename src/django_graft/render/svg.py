"""Draw a graph at model level as inline SVG, for pages that must not fetch anything.

Models are laid out in columns by the length of the path that brought them
in (roots on the left), the path the plan's "why" column shows; each node shows the model and its
rows per role (see :mod:`.svglayout`: no two texts overlap). The edge that
brought each model in is drawn with the relation's name and the rows it
reached; the other edges the walk followed are faint dashed lines, named in
their tooltips. The drawing is self-contained: no script, no font or style
sheet to load; it shrinks to the width of its frame, down to a readable
size.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from django.db.models import Model

from django_graft.render.svglayout import HEIGHT, LABEL_FONT, NODE_FONT, PAD, Box, Node, lay_out
from django_graft.schema.edges import EdgeKind
from django_graft.schema.labels import model_label
from django_graft.tree.graph import Graph, ModelCount, Role

_FILL = {Role.OWN: "#cfe8cf", Role.NEED: "#fdf0c2", Role.REFERENCE: "#eeeeee"}
#: Shrunk to fit its frame, the picture keeps at least this share of its size
#: (its text stays readable); a narrower frame scrolls instead.
_MIN_SCALE = 0.6


def _role(graph: Graph, model: type[Model]) -> Role:
    if model in graph.owned:
        return Role.OWN
    if model in graph.needed:
        return Role.NEED
    return Role.REFERENCE


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


def _path(source: Box, target: Box) -> str:
    """The curve from ``source`` to ``target``: side to side, or a loop over the top."""
    if source is target:
        x, y = source.x + source.width - 50, source.y
        return f"M {x} {y} C {x} {y - 24}, {x + 36} {y - 24}, {x + 36} {y}"
    middle = (source.y + HEIGHT // 2, target.y + HEIGHT // 2)
    if target.x > source.x:
        start, end, bend = source.x + source.width, target.x, 40
    else:  # back to a column on the left (or the same one): from the left side
        start, end, bend = source.x, target.x + target.width, -40
    return (
        f"M {start} {middle[0]} C {start + bend} {middle[0]}, "
        f"{end - bend} {middle[1]}, {end} {middle[1]}"
    )


@dataclass(frozen=True)
class Arrow:
    """An edge the walk followed: ``label`` on the one that brought ``target`` in, else None."""

    source: str
    target: str
    #: Its tooltip: the relation's full name and the rows it reached.
    title: str
    label: str | None


def _arrow(arrow: Arrow, path: str, at: tuple[int, int] | None) -> str:
    """One edge: the one that brought its target in is drawn and named; the others faint.

    Every edge keeps its name and row count in a ``<title>`` (a tooltip), so
    a dense graph stays readable without losing anything.
    """
    title = f"<title>{escape(arrow.title)}</title>"
    if arrow.label is not None and at is not None:
        # A white halo keeps the label readable over the faint lines crossing it.
        return (
            f'<g class="graft-edge">{title}'
            f'<path d="{path}" stroke="#555" fill="none" marker-end="url(#graft-arrow)"/>'
            f'<text x="{at[0]}" y="{at[1]}" text-anchor="end" fill="#333" '
            f'font-size="{LABEL_FONT}" stroke="#fff" stroke-width="3" paint-order="stroke">'
            f"{escape(arrow.label)}</text></g>"
        )
    return (
        f'<g class="graft-edge graft-edge-other">{title}'
        f'<path d="{path}" stroke="#bbb" stroke-dasharray="3 3" fill="none"/></g>'
    )


def _svg_open(width: int, height: int) -> str:
    # Scaled to its frame's width (never above its own size, never below
    # _MIN_SCALE of it, when the frame scrolls): the viewBox keeps its shape.
    style = f"width:100%;max-width:{width}px;min-width:{int(width * _MIN_SCALE)}px;height:auto"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="graft-picture" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" style="{style}" role="img" '
        'aria-label="Models of the tree, with rows per role and the relations followed" '
        f'font-family="sans-serif" font-size="{NODE_FONT}">'
    )


def draw(nodes: list[Node], roles: dict[str, Role], arrows: list[Arrow]) -> str:
    """The picture of ``nodes`` (each of a role) and ``arrows`` as one ``<svg>`` element."""
    layout = lay_out(nodes, {a.target: a.label for a in arrows if a.label is not None})
    parts = [
        _svg_open(layout.width, layout.height),
        '<defs><marker id="graft-arrow" viewBox="0 0 10 10" refX="10" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>',
    ]
    for arrow in arrows:
        path = _path(layout.boxes[arrow.source], layout.boxes[arrow.target])
        at = layout.labels.get(arrow.target) if arrow.label is not None else None
        parts.append(_arrow(arrow, path, at))
    for node in nodes:
        box, role = layout.boxes[node.key], roles[node.key]
        dash = ' stroke-dasharray="4"' if role is Role.REFERENCE else ""
        parts.append(
            f'<g class="graft-node graft-{role.value}" data-model="{escape(node.key)}">'
            f'<rect x="{box.x}" y="{box.y}" width="{box.width}" height="{box.height}" rx="4" '
            f'fill="{_FILL[role]}" stroke="#777"{dash}/>'
            f'<text x="{box.x + PAD}" y="{box.y + 18}" font-weight="bold">'
            f"{escape(node.title)}</text>"
            f'<text x="{box.x + PAD}" y="{box.y + 36}">{escape(node.subtitle)}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def to_svg(graph: Graph) -> str:
    """The model-level picture of ``graph`` as one ``<svg>`` element."""
    counts = {count.model: count for count in graph.counts()}
    columns = {model: len(graph.path_to(model)) for model in counts}
    models = sorted(counts, key=lambda m: (columns[m], model_label(m)))
    nodes = [
        Node(model_label(m), columns[m], counts[m].label, _counts_text(counts[m])) for m in models
    ]
    arrows = []
    for (edge, target), rows in sorted(
        graph.edge_rows.items(), key=lambda item: (item[0][0].label, model_label(item[0][1]))
    ):
        if edge.source not in counts or target not in counts:
            continue
        reason = graph.reasons.get(target)
        main = reason is not None and reason.edge is edge
        arrows.append(
            Arrow(
                model_label(edge.source),
                model_label(target),
                f"{edge.label}: {rows} rows"
                + (", a dynamic edge the policy declares" if edge.kind is EdgeKind.DYNAMIC else ""),
                f"{edge.name} ({rows})" if main else None,
            )
        )
    return draw(nodes, {model_label(m): _role(graph, m) for m in models}, arrows)
