"""Plain-text reports shared by the commands (and later the admin)."""

from __future__ import annotations

from django_graft.schema.labels import model_label
from django_graft.tree.graph import Graph


def why(graph: Graph, model: type) -> str:
    """Explain in one line how a model entered the graph."""
    reason = graph.reasons.get(model)
    if reason is None or reason.edge is None:
        return "root"
    path = " > ".join(edge.label for edge in graph.path_to(model))
    return f"{reason.role.value} via {path}"


def plan_table(graph: Graph) -> list[str]:
    """Per model: owned, needed and referenced rows, and why the model is in."""
    counts = graph.counts()
    width = max([len("model"), *(len(c.label) for c in counts)])
    lines = [f"{'model':<{width}}  {'owned':>7}  {'needed':>7}  {'refs':>7}  why"]
    for count in counts:
        lines.append(
            f"{count.label:<{width}}  {count.owned:>7}  {count.needed:>7}  "
            f"{count.referenced:>7}  {why(graph, count.model)}"
        )
    owned = sum(c.owned for c in counts)
    needed = sum(c.needed for c in counts)
    refs = sum(c.referenced for c in counts)
    lines.append(f"{'total':<{width}}  {owned:>7}  {needed:>7}  {refs:>7}")
    return lines


def roots_text(graph: Graph) -> str:
    return ", ".join(
        f"{model_label(model)}:{','.join(str(pk) for pk in keys)}"
        for model, keys in graph.roots.items()
    )
