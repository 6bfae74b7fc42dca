"""What an admin action would do, worked out before anything is done.

One :class:`Preview` per action request: the walk from the selected
objects, the rows per model, what a delete would block on or change
outside the tree, and the permissions the user lacks for it. The page shows
it; the confirmed request checks it again before running.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model, QuerySet

from django_graft.admin import permissions
from django_graft.admin.cloneform import Clash, clashing_fields
from django_graft.admin.secrets import withheld
from django_graft.policy.loading import default_policy
from django_graft.render.svg import to_svg
from django_graft.render.text import why
from django_graft.tree.graph import Graph
from django_graft.tree.outside import Blocker, OutsideUpdate, scan_outside
from django_graft.tree.walk import collect

OPERATIONS = ("export", "clone", "delete")


@dataclass
class ModelRow:
    label: str
    verbose_name: str
    owned: int
    needed: int
    referenced: int
    why: str


@dataclass
class Preview:
    operation: str
    objects: list[Model]
    graph: Graph
    blockers: list[Blocker] = field(default_factory=list)
    updates: list[OutsideUpdate] = field(default_factory=list)
    lacking: list[str] = field(default_factory=list)
    #: ``app_label.model.field`` of each secret an export leaves out.
    withheld: list[str] = field(default_factory=list)
    #: For a clone, the unique fields whose copies would repeat a value.
    clashes: list[Clash] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        """Whether the user may go ahead: every permission held, nothing blocking."""
        return not self.lacking and not self.blockers

    @property
    def rows(self) -> list[ModelRow]:
        return [
            ModelRow(
                count.label,
                str(count.model._meta.verbose_name_plural),
                count.owned,
                count.needed,
                count.referenced,
                why(self.graph, count.model),
            )
            for count in self.graph.counts()
        ]

    @property
    def totals(self) -> tuple[int, int, int]:
        counts = self.graph.counts()
        return (
            sum(c.owned for c in counts),
            sum(c.needed for c in counts),
            sum(c.referenced for c in counts),
        )

    @property
    def picture(self) -> str:
        return to_svg(self.graph)


def build_preview(operation: str, queryset: QuerySet[Any], user: Any) -> Preview:
    """Walk from the selected objects and check what ``operation`` would need."""
    objects = list(queryset)
    graph = collect(objects, policy=default_policy(), using=queryset.db)
    preview = Preview(operation, objects, graph)
    if operation == "export":
        needed = permissions.for_export(graph)
        preview.withheld = withheld(graph)
    elif operation == "clone":
        needed = permissions.for_clone(graph)
        preview.clashes = clashing_fields(graph)
    else:
        outside = scan_outside(graph)
        preview.blockers, preview.updates = outside.blockers, outside.updates
        needed = permissions.for_delete(graph, {update.model for update in outside.updates})
    preview.lacking = permissions.lacking(user, needed)
    return preview
