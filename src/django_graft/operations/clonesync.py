"""Keep a clone's copy in step with its template.

``clone(template, keep_in_step=True)`` makes a copy as any clone does, and
records in the ledger (:mod:`django_graft.importer.ledger`) which row each
row of the template became; ``clone(template, sync_into=copy)`` later brings
that copy in step: it updates the rows the template changed since, creates
the copies of its new rows, leaves the others alone, and lists as conflicts
the copy's rows changed since (as a sync import does, ``on_conflict``
deciding); with ``prune=True`` it deletes the copies of rows the template
no longer has. The source is this installation, and the tree is the
template's roots and the copy's together: two copies of one template are
two trees, each kept in step on its own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django_graft.exceptions import PolicyError, SpecError
from django_graft.importer.result import ImportResult
from django_graft.importer.run import CONFLICT_MODES
from django_graft.importer.sync import Sync
from django_graft.models import GraftLedgerEntry
from django_graft.operations.installation import installation_id
from django_graft.schema.fieldtypes import archived_key
from django_graft.schema.labels import model_label
from django_graft.tree.graph import Graph
from django_graft.tree.roots import normalize_roots


def in_step_source(
    using: str, keep_in_step: bool, sync_into: Any, prune: bool, on_conflict: str
) -> str | None:
    """This installation's id, for a clone that keeps its copy in step; ``None`` for another.

    Options that only a copy kept in step takes are refused on another clone.
    """
    if on_conflict not in CONFLICT_MODES:
        raise PolicyError(
            f"Unknown on_conflict {on_conflict!r}: use one of {', '.join(CONFLICT_MODES)}."
        )
    if sync_into is None:
        if prune or on_conflict != "fail":
            raise PolicyError(
                "prune and on_conflict apply to a copy brought in step: give sync_into (the "
                "copy's root, made with keep_in_step=True)."
            )
        if not keep_in_step:
            return None
    source = installation_id(using)
    if source is None:
        raise PolicyError(
            f"Database '{using}' has no installation id, which a copy kept in step is "
            f"recorded under: run manage.py migrate django_graft --database {using}, or set "
            'GRAFT["INSTALLATION_ID"].'
        )
    return source


def copy_tree(graph: Graph, copies: Sequence[Any]) -> str:
    """The ledger's id of the tree of ``graph``'s roots copied to ``copies`` (their keys).

    The pairs are sorted: the same roots and copies name the same tree in any order.
    """
    roots = [(model, key) for model, keys in graph.roots.items() for key in keys]
    named = " ".join(
        sorted(
            f"{model_label(model)}:{archived_key(model, key)}->{archived_key(model, copy)}"
            for (model, key), copy in zip(roots, copies, strict=True)
        )
    )
    return hashlib.sha256(f"clone {named}".encode()).hexdigest()


def kept_in_step(
    graph: Graph, keep_in_step: bool, sync_into: Any, prune: bool, source: str
) -> Sync | None:
    """The sync a clone is, if it keeps its copy in step; ``None`` for a plain clone."""
    if sync_into is None:
        return Sync(tree=_named_by_copies(graph)) if keep_in_step else None
    copies = _copies(graph, sync_into)
    tree = copy_tree(graph, copies)
    if not GraftLedgerEntry.objects.using(graph.using).filter(source=source, tree=tree).exists():
        shown = ", ".join(str(copy) for copy in copies)
        raise SpecError(
            f"{shown} is no copy of {_roots(graph)} kept in step: clone(..., keep_in_step=True) "
            "(graft_clone --keep-in-step) makes one, and only its rows can be brought in step.",
            spec=shown,
        )
    return Sync(prune=prune, tree=tree)


def _named_by_copies(graph: Graph) -> Callable[[ImportResult], str]:
    def tree(result: ImportResult) -> str:
        return copy_tree(
            graph,
            [
                result.key_map[model_label(model)][key]
                for model, keys in graph.roots.items()
                for key in keys
            ],
        )

    return tree


def _copies(graph: Graph, sync_into: Any) -> list[Any]:
    """The keys of the copies ``sync_into`` names, one per root and in the roots' order."""
    try:
        by_model, _ = normalize_roots(sync_into, graph.using)
    except TypeError:
        raise SpecError(
            f"sync_into is {sync_into!r}: give the copy's root (a model instance, or "
            "'app_label.Model:PK'), or a list of them, one per root.",
            spec=repr(sync_into),
        ) from None
    copies = [(model, key) for model, keys in by_model.items() for key in keys]
    roots = [model for model, keys in graph.roots.items() for _ in keys]
    if [model for model, _ in copies] != roots:
        raise SpecError(
            f"sync_into names {len(copies)} row(s); the clone of {_roots(graph)} needs one copy "
            "per root, of the root's model, in the roots' order.",
            spec=str(sync_into),
        )
    return [key for _, key in copies]


def _roots(graph: Graph) -> str:
    return ", ".join(
        f"{model_label(model)}:{key}" for model, keys in graph.roots.items() for key in keys
    )


def check_synced_into(
    graph: Graph, copies: Mapping[str, Mapping[Any, Any]], sync_into: Any
) -> None:
    """Refuse (rolling back) a sync whose roots went to other rows than the copy named."""
    wanted = _copies(graph, sync_into)
    made = [copies[model_label(model)][key] for model, keys in graph.roots.items() for key in keys]
    if made != wanted:
        raise SpecError(
            f"The template's roots were brought to {made}, not to the copy {wanted}: the ledger "
            "of this copy is damaged. Nothing was written.",
            spec=str(sync_into),
        )
