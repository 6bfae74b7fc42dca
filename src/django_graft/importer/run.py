"""Run an import: verify, check, plan, authorise, then write, in one transaction."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any, BinaryIO

from django.db import DEFAULT_DB_ALIAS, DatabaseError, IntegrityError, connections, transaction
from django.db.models import Model

from django_graft.db.constraints import check_links, checked_at_end
from django_graft.db.gcpause import cyclic_gc_paused
from django_graft.exceptions import ArchiveError, ImportWriteError, PolicyError, check_row_limit
from django_graft.fixtures import GRAFT, guessed, sniff
from django_graft.fixtures.load import FixtureLoader
from django_graft.importer.apply import Writer
from django_graft.importer.drift import check_drift
from django_graft.importer.dryrun import check_links_carried
from django_graft.importer.dynamicmap import check_declarations
from django_graft.importer.intent import Authorise, ImportIntent, intent_of
from django_graft.importer.keybits import KeySet
from django_graft.importer.known import SyncSorter
from django_graft.importer.ledger import Ledger, source_of
from django_graft.importer.plan import Planner
from django_graft.importer.planned import Plan
from django_graft.importer.result import Conflict, ImportResult, ModelReport
from django_graft.importer.source import ArchiveContents, load_archive
from django_graft.importer.sync import Sync, check_untouched, prune_forgotten, remember
from django_graft.importer.tempspace import temporary_space
from django_graft.importer.trust import check_link_records, check_signed, check_sync_source
from django_graft.policy.loading import default_policy
from django_graft.policy.rules import Policy
from django_graft.schema.labels import concrete, resolve_model
from django_graft.storage import Destination, describe, open_for_read

PK_MODES = ("keep", "remap")
CONFLICT_MODES = ("fail", "skip", "update")


def _match_fields(match: Mapping[str, Sequence[str]] | None) -> dict[type[Model], tuple[str, ...]]:
    resolved: dict[type[Model], tuple[str, ...]] = {}
    for label, names in (match or {}).items():
        model = concrete(resolve_model(label))
        fields = tuple(Policy._fields_of(label, names))
        if not fields:
            raise PolicyError(f"--match {label}: name at least one field.", label=label)
        resolved[model] = fields
    return resolved


def import_archive(
    source: Destination,
    *,
    using: str | None = None,
    pks: str = "keep",
    on_conflict: str = "fail",
    match: Mapping[str, Sequence[str]] | None = None,
    dry_run: bool = False,
    policy: Policy | None = None,
    signals: bool = False,
    ignore_missing_fields: bool = False,
    format: str | None = None,
    authorise: Authorise | None = None,
    trust_unsigned: bool = False,
    require_signed: bool = False,
    sync: bool = False,
    prune: bool = False,
    prune_archive: Destination | None = None,
    sha256: str | None = None,
) -> ImportResult:
    """Load the archive at ``source`` into database ``using``; return what happened.

    ``source`` is a django-graft archive or a Django fixture (json, jsonl,
    xml or yaml, ``dumpdata`` output included), compressed or not, at any
    location ``django_graft.storage`` reads. The archive is recognised
    by its header; a fixture's format is ``format``, else the name's
    extension, else its first character.

    ``pks`` is ``"keep"`` (rows keep their keys; a key already taken is a
    conflict) or ``"remap"`` (owned rows get new keys and every reference to
    them follows). ``on_conflict`` is ``"fail"`` (list every conflict, write
    nothing), ``"skip"`` (leave the existing rows alone) or ``"update"``
    (overwrite them). ``match`` maps model labels to the fields that find
    an existing row for a needed row, over the policy's. With ``dry_run``
    everything is planned and checked and nothing is written.

    ``authorise``, if given, is called with the ``ImportIntent`` (what the
    import would create, change and match) once the import is planned and
    before anything is written, in a dry run as in a real one; it raises a
    ``GraftError`` to refuse the import.

    Link records (a delete's record of rows outside the archive it changed)
    are applied only from an archive this installation signed; another is
    refused with ``UntrustedArchive`` unless ``trust_unsigned``. Other
    unsigned archives import as signed ones do; the result's ``signature``
    says which it was. With ``require_signed``, anything this installation
    did not sign (a fixture too) is refused.

    With ``sync`` (and ``pks="remap"``) the import keeps the tree in step
    with an earlier sync of it from the same source: the rows that sync
    created are updated where only the source changed them, left alone
    where unchanged, and a conflict where this database changed them since;
    the rest are created, and the ledger remembers them all. ``prune``
    deletes the rows an earlier sync created that the archive no longer
    holds, archived first to ``prune_archive`` when given.

    ``sha256``, when given, is the hash the archive must have (the one a
    manifest lists for it): another archive at that location is refused
    before anything is written.
    """
    if pks not in PK_MODES:
        raise PolicyError(f"pks must be one of {', '.join(PK_MODES)}, not {pks!r}.")
    if on_conflict not in CONFLICT_MODES:
        raise PolicyError(
            f"on_conflict must be one of {', '.join(CONFLICT_MODES)}, not {on_conflict!r}."
        )
    if (sync or prune) and pks != "remap":
        raise PolicyError(
            "A sync gives the rows it creates new keys and finds those it created before "
            "through its ledger: import with pks='remap' (--pks remap)."
        )
    if (prune or prune_archive is not None) and not sync:
        raise PolicyError("Pruning deletes rows an earlier sync created: it needs sync=True.")
    using = using or DEFAULT_DB_ALIAS
    policy = policy or default_policy()
    match_fields = _match_fields(match)
    with cyclic_gc_paused(), temporary_space():
        with open_for_read(source) as stream:
            contents = _load(stream, source, using, format, ignore_missing_fields, sync=sync)
        if sha256 is not None and contents.sha256 != sha256:
            contents.close()
            raise ArchiveError(
                f"'{describe(source)}' is not the archive expected there: its sha256 is not "
                f"{sha256}. It was replaced or changed since it was listed; nothing was "
                "written."
            )
        return import_contents(
            contents,
            using,
            pks,
            on_conflict,
            match_fields,
            dry_run=dry_run,
            policy=policy,
            signals=signals,
            ignore_missing_fields=ignore_missing_fields,
            authorise=authorise,
            trust_unsigned=trust_unsigned,
            require_signed=require_signed,
            sync=Sync(prune=prune, archive=prune_archive) if sync else None,
        )


def _load(
    stream: BinaryIO,
    source: Destination,
    using: str,
    fmt: str | None,
    ignore_missing: bool,
    *,
    sync: bool,
) -> ArchiveContents:
    name = describe(source) if isinstance(source, str | os.PathLike) else None
    chosen, stream = sniff(stream, name, fmt)
    if chosen == GRAFT:
        if not sync:
            return load_archive(stream)
        # The ledger, read as soon as the header names the tree, spares
        # parsing the records it already knows.
        sorter = SyncSorter(partial(Ledger.of, using=using))
        contents = load_archive(stream, sorter)
        contents.ledger = sorter.ledger
        return contents
    contents = FixtureLoader(using, chosen).contents(stream, ignore_missing_fields=ignore_missing)
    contents.fixture = chosen
    contents.fixture_guessed = guessed(name, fmt)
    return contents


def import_contents(
    contents: ArchiveContents,
    using: str,
    pks: str,
    on_conflict: str = "fail",
    match_fields: dict[type[Model], tuple[str, ...]] | None = None,
    *,
    dry_run: bool,
    policy: Policy,
    signals: bool = False,
    ignore_missing_fields: bool = False,
    needed_in_place: bool = False,
    authorise: Authorise | None = None,
    trust_unsigned: bool = False,
    require_signed: bool = False,
    operation: str = "import",
    sync: Sync | None = None,
) -> ImportResult:
    """Import an archive already verified and sorted per model; close it when done.

    With ``needed_in_place`` the archive was read from ``using`` itself (a
    clone): its needed rows are the very rows at their keys. ``authorise``:
    as for :func:`import_archive`. ``operation``: what the user ran, as the
    messages name it ("clone").
    """
    try:
        rows = sum(spool.count for spool in contents.spools.values())
        check_row_limit(rows, "The archive")
        check_signed(contents, required=require_signed)
        check_link_records(contents, trust_unsigned=trust_unsigned)
        if sync is not None:
            source_of(contents.header)
            check_sync_source(contents, trust_unsigned=trust_unsigned)
        drift = check_drift(
            contents.header, list(contents.spools), ignore_missing_fields=ignore_missing_fields
        )
        check_declarations(contents.header, policy, list(contents.spools))
        result = ImportResult(
            using=using,
            pks=pks,
            dry_run=dry_run,
            sha256=contents.sha256,
            signature=contents.signature,
            fixture=contents.fixture,
        )
        if contents.fixture_guessed:
            result.warnings.append(
                f"The input was read as a Django {contents.fixture} fixture, a format guessed "
                "from its content: name it (--format, or a .json, .jsonl, .xml or .yaml name) "
                "to be sure."
            )
        result.warnings.extend(drift.warnings)
        # Inside a caller's transaction, the deferred foreign keys would only be
        # checked at its commit, long after this function returned.
        nested = connections[using].in_atomic_block
        try:
            with transaction.atomic(using=using):
                ledger = None if sync is None else _ledger(contents, using, sync)
                planner = Planner(
                    contents,
                    policy,
                    using,
                    remap=pks == "remap",
                    on_conflict=on_conflict,
                    match=match_fields or {},
                    drift=drift,
                    needed_in_place=needed_in_place,
                    signals=signals,
                    ledger=ledger,
                )
                plan = planner.plan()
                result.warnings.extend(plan.warnings)
                result.conflicts = plan.conflicts
                for conflict in plan.conflicts:
                    result.report(conflict.label).conflicts += 1
                if authorise is not None:
                    authorise(intent_of(plan, policy))
                pruned = None
                if sync is not None and ledger is not None and sync.prune:
                    pruned = partial(
                        prune_forgotten, plan, ledger, result, policy, sync, on_conflict=on_conflict
                    )
                if dry_run:
                    check_links_carried(plan, policy)
                    _report_plan(plan, result)
                    if pruned is not None:
                        pruned(dry_run=True)
                    return result
                if ledger is not None:
                    check_untouched(plan, ledger)
                tables = _written_tables(plan)
                check_rows = partial(_check_written_rows, using, plan, result)
                with checked_at_end(using, tables, now=nested, rows=check_rows):
                    Writer(plan, policy, result, signals=signals).write()
                if sync is not None and ledger is not None:
                    if callable(sync.tree):  # named by the rows just written
                        ledger.tree = sync.tree(result)
                    remember(plan, ledger, result)
                if pruned is not None:
                    pruned(dry_run=False)
        except IntegrityError as exc:
            # Also raised at commit, where deferred foreign keys are checked,
            # or by the check that follows a write with checks switched off.
            written = "the archive's rows" if operation == "import" else "the copies"
            raise ImportWriteError(
                f"The database refused the {operation}: {exc}. Nothing was written. A unique "
                f"constraint or a foreign key is not satisfied in this database by {written}."
            ) from exc
        except DatabaseError as exc:
            raise ImportWriteError(
                f"The database failed during the {operation}: {exc}. Nothing was written."
            ) from exc
        return result
    finally:
        contents.close()


def _ledger(contents: ArchiveContents, using: str, sync: Sync) -> Ledger:
    """The sync's ledger, as it is now that the import's transaction has begun.

    Read with the archive's header where a sync read the archive; read again
    if it may have changed since (the records taken unparsed for what it
    held are then told apart by their digests, as any other).
    """
    ledger = contents.ledger
    if ledger is not None and not ledger.changed():
        ledger.took = True
        return ledger  # type: ignore[no-any-return]
    return Ledger.of(contents.header, using, _tree(sync))


def _tree(sync: Sync) -> str | None:
    """The tree id a sync names up front; a tree named once written has no entries yet."""
    if callable(sync.tree):
        return _NOT_YET_NAMED
    return sync.tree


#: The id of a tree whose rows are not written yet: no tree of a ledger has it.
_NOT_YET_NAMED = "(not yet named)"


def _written_tables(plan: Plan) -> set[str]:
    """The tables an import writes to: its rows' and the relinked outside rows'."""
    tables = {mp.model._meta.db_table for mp in plan.order if mp.create or mp.update}
    tables.update(model._meta.db_table for model, _ in plan.links.restores)
    return tables


def _check_written_rows(using: str, plan: Plan, result: ImportResult) -> None:
    """Check the links of the rows the import created, updated or relinked."""
    # The keys of each model as a set of the plan's kind (bits past the limit,
    # in ascending order), not a list of every key written.
    written: dict[type[Model], KeySet] = {}
    for mp in plan.order:
        key_map: Mapping[Any, Any] = result.key_map.get(mp.label, {})
        keys = mp.keys_like(map(key_map.__getitem__, mp.create))
        keys.update(mp.update.values())
        if keys:
            written[mp.model] = keys
    for model, attname in plan.links.restores:
        restored = (pk for pk, _, _ in plan.links.restores[model, attname])
        written.setdefault(model, set()).update(restored)
    check_links(using, written)


def _report_plan(plan: Plan, result: ImportResult) -> None:
    result.relinked.update(plan.links.counts)
    for mp in plan.order:
        report = result.report(mp.label)
        report.created += len(mp.create)
        report.created_needed += mp.created_needed
        report.matched += len(mp.matched)
        report.unchanged += len(mp.unchanged)
        report.updated += len(mp.update)
        report.skipped += len(mp.skip)


__all__ = ["Conflict", "ImportIntent", "ImportResult", "ModelReport", "import_archive"]
