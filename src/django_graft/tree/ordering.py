"""Order models so that the rows a row points at come first."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Model

from django_graft.policy.rules import Policy, Rule
from django_graft.schema.edges import EdgeKind
from django_graft.schema.labels import model_label

#: {model: {model it depends on: nullable (True when every such edge is)}}
Dependencies = dict[type[Model], dict[type[Model], bool]]


def dependencies(
    models: Iterable[type[Model]],
    policy: Policy,
    generic: Iterable[tuple[type[Model], type[Model]]] = (),
) -> Dependencies:
    """Return, per model, the other models among ``models`` its rows point at.

    ``generic`` adds ``(model, target)`` pairs known only from data, such as
    the models a generic foreign key (or a dynamic edge typed row by row)
    turned out to point at.
    """
    members = set(models)
    deps: Dependencies = {m: {} for m in members}
    for model, target in generic:
        if model in members and target in members and target is not model:
            deps[model].setdefault(target, True)
    for model in members:
        for edge in policy.edges_of(model):
            if edge.kind is EdgeKind.DYNAMIC and edge.target in members:
                # A key inside a value has no constraint: written later, it is filled in.
                if edge.target is not model:
                    deps[model].setdefault(edge.target, True)
                continue
            if edge.kind is not EdgeKind.FORWARD or edge.target is None:
                continue
            if edge.target is model or edge.target not in members:
                continue
            if policy.rule(edge) is Rule.SKIP:
                continue
            previous = deps[model].get(edge.target, True)
            deps[model][edge.target] = previous and edge.nullable
    return deps


def dependency_order(
    models: Iterable[type[Model]],
    policy: Policy,
    generic: Iterable[tuple[type[Model], type[Model]]] = (),
) -> list[type[Model]]:
    """Return ``models`` parents first, deterministically.

    A cycle is broken where it costs least: at a model in the cycle whose
    remaining dependencies are all nullable foreign keys (an importer writes
    those NULL first and fills them in afterwards); failing that, at the
    model with the smallest label.
    """
    deps = dependencies(models, policy, generic)
    order: list[type[Model]] = []
    while deps:
        ready = sorted((m for m, d in deps.items() if not d), key=model_label)
        if not ready:
            # Prefer a model others are waiting for: that is where the cycle
            # is, rather than at a model merely stuck behind it.
            waited_for = {target for d in deps.values() for target in d}
            candidates = sorted(deps, key=lambda m: (m not in waited_for, model_label(m)))
            ready = [next((m for m in candidates if all(deps[m].values())), candidates[0])]
        for model in ready:
            order.append(model)
            del deps[model]
        for remaining in deps.values():
            for model in ready:
                remaining.pop(model, None)
    return order
