"""Draw a graph at model level: nodes with row counts, edges with field names.

Two text formats that need no extra library: Graphviz ``dot`` and Mermaid.
Dynamic edges, which a policy declares, are drawn dashed.
"""

from __future__ import annotations

from pathlib import Path

from django_graft.exceptions import GraftError
from django_graft.schema.edges import EdgeKind
from django_graft.schema.labels import model_label
from django_graft.storage import open_for_write
from django_graft.tree.graph import Graph, ModelCount, Role


def _node_text(count: ModelCount) -> str:
    parts = []
    if count.owned:
        parts.append(f"{count.owned} owned")
    if count.needed:
        parts.append(f"{count.needed} needed")
    if count.referenced:
        parts.append(f"{count.referenced} referenced")
    return f"{count.label}\\n{', '.join(parts)}"


def _style(graph: Graph, model: type) -> Role:
    if model in graph.owned:
        return Role.OWN
    if model in graph.needed:
        return Role.NEED
    return Role.REFERENCE


def _edges(graph: Graph) -> list[tuple[str, str, str, bool]]:
    """(source label, target label, edge text, declared) for every edge that found rows.

    ``declared``: a dynamic edge, which the policy declares and the schema does not know.
    """
    steps = sorted(
        graph.edge_rows.items(), key=lambda item: (item[0][0].label, model_label(item[0][1]))
    )
    return [
        (
            model_label(edge.source),
            model_label(target),
            f"{edge.name} ({rows})",
            edge.kind is EdgeKind.DYNAMIC,
        )
        for (edge, target), rows in steps
    ]


_DOT_STYLE = {
    Role.OWN: 'style=filled, fillcolor="#cfe8cf"',
    Role.NEED: 'style=filled, fillcolor="#fdf0c2"',
    Role.REFERENCE: 'style=dashed, fillcolor="#eeeeee"',
}


def to_dot(graph: Graph) -> str:
    lines = ["digraph graft {", "  rankdir=LR;", "  node [shape=box, fontname=Helvetica];"]
    for count in graph.counts():
        style = _DOT_STYLE[_style(graph, count.model)]
        lines.append(f'  "{count.label}" [label="{_node_text(count)}", {style}];')
    for source, target, text, declared in _edges(graph):
        style = ", style=dashed" if declared else ""
        lines.append(f'  "{source}" -> "{target}" [label="{text}"{style}];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_id(label: str) -> str:
    return label.replace(".", "__")


def to_mermaid(graph: Graph) -> str:
    lines = ["flowchart LR"]
    for count in graph.counts():
        text = _node_text(count).replace("\\n", "<br/>")
        lines.append(f'  {_mermaid_id(count.label)}["{text}"]')
        lines.append(f"  class {_mermaid_id(count.label)} {_style(graph, count.model).value}")
    for source, target, text, declared in _edges(graph):
        arrow = "-.->" if declared else "-->"
        lines.append(f'  {_mermaid_id(source)} {arrow}|"{text}"| {_mermaid_id(target)}')
    lines.append("  classDef own fill:#cfe8cf")
    lines.append("  classDef need fill:#fdf0c2")
    lines.append("  classDef reference fill:#eeeeee,stroke-dasharray: 4")
    return "\n".join(lines) + "\n"


FORMATS = {".dot": to_dot, ".gv": to_dot, ".mmd": to_mermaid}


def write_picture(graph: Graph, path: str) -> None:
    """Write the picture in the format the file name's suffix names."""
    render = FORMATS.get(Path(path).suffix.lower())
    if render is None:
        raise GraftError(
            f"Cannot draw '{path}': use a file name ending in .dot (Graphviz) or .mmd (Mermaid)."
        )
    with open_for_write(path) as stream:
        stream.write(render(graph).encode())
