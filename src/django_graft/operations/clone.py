"""Clone: copy the tree of some roots inside their own database.

A clone is an export and an import in one transaction: the roots are
collected, their rows written as an archive would hold them (straight into
the import's per-model spools, see :mod:`.importer.spooler`), and imported
into the same database with ``pks="remap"``. The owned rows are
created again with new keys and every link between them follows; the
needed rows and references are found again (they are the very rows of this
database) and pointed at, not copied. So a clone takes the same graph walk
and the same bulk insert path as export and import, and their guarantees:
every conflict (a unique value the copies would repeat) is listed before
anything is written.

Afterwards, in the same transaction, :mod:`.crosslinks` checks that the
copies and the originals do not link to each other; a clone that would
cross-link them is rolled back with the rows named.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Model

from django_graft.conf import graft_settings
from django_graft.db.batching import key_order
from django_graft.db.gcpause import cyclic_gc_paused
from django_graft.exceptions import ConflictError, ObjectNotFound, check_row_limit
from django_graft.importer.run import ImportResult, ModelReport, import_contents
from django_graft.importer.source import ArchiveContents
from django_graft.importer.spooler import ArchiveSpooler
from django_graft.importer.sync import Sync
from django_graft.importer.tempspace import temporary_space
from django_graft.operations.clonesync import check_synced_into, in_step_source, kept_in_step
from django_graft.operations.crosslinks import check_no_cross_links
from django_graft.operations.export import write_graph
from django_graft.policy.loading import default_policy
from django_graft.policy.rules import Policy
from django_graft.render.lists import listed
from django_graft.render.text import roots_text
from django_graft.schema.labels import concrete, model_label
from django_graft.tree.graph import Graph
from django_graft.tree.roots import normalize_roots
from django_graft.tree.walk import collect


@dataclass
class CloneResult:
    """What a clone created, and which copy belongs to which original."""

    using: str
    dry_run: bool
    report: ImportResult
    """The import that made the copies: rows created and matched per model."""
    copies: dict[str, Mapping[Any, Any]]
    """{model label: {original key: copy key}} for every copied row (empty on a dry run): each
    model's a read-only view of the import's key map, not a dictionary of its own."""
    roots: list[Model] = field(default_factory=list)
    """The copies of the roots, in the order the roots were given (empty on a dry run)."""

    @property
    def models(self) -> dict[str, ModelReport]:
        return self.report.models

    @property
    def created(self) -> int:
        return self.report.created

    def __repr__(self) -> str:
        verb = "would create" if self.dry_run else "created"
        return f"<CloneResult {verb} {self.created} rows in '{self.using}'>"

    def copy_of(self, obj: Model) -> Model:
        """The copy of the original ``obj`` (raises ``KeyError`` for a row not copied)."""
        model = concrete(type(obj))
        key = self.copies[model_label(model)][obj.pk]
        copy: Model = model._base_manager.using(self.using).get(pk=key)
        return copy

    def original(self, obj: Model) -> Model:
        """The original the copy ``obj`` was made from (``KeyError`` for a row not a copy)."""
        model = concrete(type(obj))
        originals = {copy: original for original, copy in self.copies[model_label(model)].items()}
        found: Model = model._base_manager.using(self.using).get(pk=originals[obj.pk])
        return found


def clone(
    roots: Any,
    *,
    policy: Policy | None = None,
    using: str | None = None,
    set_fields: Mapping[str, Any] | None = None,
    dry_run: bool = False,
    keep_in_step: bool = False,
    sync_into: Any = None,
    prune: bool = False,
    on_conflict: str = "fail",
) -> CloneResult:
    """Copy ``roots`` and everything they own; return the copies and the key map.

    ``set_fields`` gives the copies values, over the policy's own: a value,
    or a function of the row (``{attname: value}``), per
    ``"app_label.Model.field"``. With ``dry_run`` the clone is planned and
    checked and nothing is written.

    ``keep_in_step`` records which row each original became, so that a later
    ``clone(roots, sync_into=copy)`` brings that copy (its root, or one per
    root) in step instead of making another: it updates what the originals
    changed since, copies their new rows, and, with ``prune``, deletes the
    copies of rows they dropped; a copy's row changed since is a conflict,
    which ``on_conflict`` (``"fail"``, ``"skip"``, ``"update"``) decides.
    Give the same ``set_fields`` each time.
    """
    base = policy or default_policy()
    by_model, db = normalize_roots(roots, using)
    source = in_step_source(db, keep_in_step, sync_into, prune, on_conflict)
    with cyclic_gc_paused(), transaction.atomic(using=db):
        # A large tree's keys in temporary tables, as an export's: dropped at the end.
        graph = collect(
            by_model, policy=base, using=db, server_side_keys=graft_settings.SERVER_SIDE_KEYS
        )
        with closing(graph):
            check_row_limit(graph.total_rows, f"The clone of {roots_text(graph)}")
            sync = (
                None
                if source is None
                else kept_in_step(graph, keep_in_step, sync_into, prune, source)
            )
            copying = base.extend(set_fields={**fresh_defaults(base, graph), **(set_fields or {})})
            imported = _copy(
                graph, copying, dry_run=dry_run, sync=sync, source=source, on_conflict=on_conflict
            )
            copies: dict[str, Mapping[Any, Any]] = {
                label: imported.key_map[label].owned()
                for label in ({} if dry_run else _owned_labels(graph))
            }
            result = CloneResult(graph.using, dry_run, imported, copies)
            if sync_into is not None and not dry_run:
                check_synced_into(graph, copies, sync_into)
            if not dry_run:
                for model, keys in graph.roots.items():
                    made = [copies[model_label(model)][key] for key in keys]
                    found = model._base_manager.using(graph.using).in_bulk(made)
                    result.roots.extend(found[key] for key in made)
                check_no_cross_links(graph, result.copies, copying)
    return result


def _owned_labels(graph: Graph) -> list[str]:
    return [model_label(model) for model, keys in graph.owned.items() if keys]


def _copy(
    graph: Graph,
    policy: Policy,
    *,
    dry_run: bool,
    sync: Sync | None,
    source: str | None,
    on_conflict: str,
) -> ImportResult:
    spooler = ArchiveSpooler()
    with temporary_space("clone"):
        write_graph(graph, spooler, installation=source)
        contents = spooler.contents()
        _check_still_there(graph, contents)
        return _import_copy(
            graph, contents, policy, dry_run=dry_run, sync=sync, on_conflict=on_conflict
        )


def _check_still_there(graph: Graph, contents: ArchiveContents) -> None:
    """Refuse a clone whose rows someone else deleted after they were collected.

    The rows are read again to be copied: a row gone by then (the root, say,
    deleted by another connection) is missing from what was read.
    """
    others = sorted({*graph.owned, *graph.needed} - set(graph.roots), key=model_label)
    for model in [*graph.roots, *others]:
        owned, needed = graph.owned.get(model, set()), graph.needed.get(model, set())
        wanted = len(owned) + len(needed)  # a row is owned or needed, never both
        spool = contents.spools.get(concrete(model))
        read = 0 if spool is None else spool.count
        if read >= wanted:
            continue
        contents.close()
        # Keys kept in a table name only the rows still there: the count says how many went.
        seen: Container[Any] = spool.seen if spool is not None else ()
        gone = sorted(
            {key for keys in (owned, needed) for key in keys if key not in seen}, key=key_order
        )
        shown = ", ".join(repr(key) for key in gone[:20]) + (" …" if len(gone) > 20 else "")
        raise ObjectNotFound(
            f"{model_label(model)} {shown or 'rows'} {'was' if gone else 'were'} deleted "
            f"while the clone of {roots_text(graph)} ran (by another connection): "
            f"{wanted - read} row(s) of the tree are gone. Nothing was written. Run the "
            "clone again.",
            model=model_label(model),
            pks=gone,
        )


def _import_copy(
    graph: Graph,
    contents: ArchiveContents,
    policy: Policy,
    *,
    dry_run: bool,
    sync: Sync | None,
    on_conflict: str,
) -> ImportResult:
    try:
        return import_contents(
            contents,
            graph.using,
            "remap",
            on_conflict if sync is not None else "fail",
            policy=policy,
            dry_run=dry_run,
            needed_in_place=True,
            operation="clone",
            sync=sync,
            # A sync takes archives it can verify; this one was read from this very
            # database, in this transaction.
            trust_unsigned=sync is not None,
        )
    except ConflictError as exc:
        if sync is not None:
            raise  # the copy's rows changed since: the sync's own message names them
        raise ConflictError(
            f"The copies would repeat {len(exc.conflicts)} unique value(s) of "
            f"existing rows:\n{listed(exc.conflicts)}\nNothing was written. Give the copies "
            "other values: --set app.Model.field=VALUE (set_fields= in Python), or a "
            "pre_save hook on the policy.",
            conflicts=exc.conflicts,
        ) from None


def fresh_defaults(policy: Policy, graph: Graph) -> dict[str, Callable[[Any], Any]]:
    """A fresh default for every unique field of the copies whose default is a function.

    Such a field (a ``uuid4`` reference, a generated slug) could only collide
    if the copy kept the value; the policy's own ``set_fields`` win.
    """
    return {
        f"{model_label(model)}.{f.name}": _default_of(f)
        for model in graph.owned
        for f in model._meta.local_concrete_fields
        if f.unique
        and not f.primary_key
        and f.has_default()
        and callable(f.default)
        and f.attname not in policy.overrides(model)
    }


def _default_of(field: Any) -> Callable[[Any], Any]:
    def default(row: Any) -> Any:
        return field.get_default()

    return default
