"""Cycles an import cannot write: links to later rows that no stand-in value may take."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django_graft.exceptions import ImportRefused
from django_graft.importer.links import links_of
from django_graft.importer.unique import unique_sets
from django_graft.schema.labels import model_label

if TYPE_CHECKING:
    from django_graft.importer.planned import ModelPlan


def check_cycles(plans: list[ModelPlan], *, signals: bool) -> None:
    """Refuse links to rows written later that no value can stand in for meanwhile.

    Such a link is written with a stand-in and filled in once its target
    is written (see :mod:`.apply`): NULL where the column takes it, else
    the archive's own value, which the database checks only at the end.
    A unique column cannot take stand-ins: two rows could share one.
    """
    position = {plan.model: i for i, plan in enumerate(plans)}
    renumbered = {plan.model for plan in plans if plan.pending}
    blocked = []
    for i, plan in enumerate(plans):
        # A stand-in must not take a unique value: a column unique on its own
        # or with others (two rows could then hold the same).
        unique = {f.attname for group in unique_sets(plan.model) for f in group}
        for link in links_of(plan.model)[0]:
            later = position.get(link.target, -1) >= i
            if not later or link.nullable or link.primary_key:
                continue
            if not signals and not link.unique and link.attname not in unique:
                continue
            if link.target in renumbered:
                blocked.append(f"{plan.label}.{link.name} -> {model_label(link.target)}")
    if blocked:
        shown = "\n  ".join(blocked)
        raise ImportRefused(
            "These links form a cycle with no nullable column to break it, and stand-in "
            "values could repeat a unique value (or be seen by signal receivers), so "
            f"their rows cannot be written in any order:\n  {shown}\n"
            "Import with --pks keep (the database checks the keys at commit), or make "
            "one of the columns nullable."
        )
