"""What graft_export and graft_delete share for runs over many roots: --filter, --each."""

from __future__ import annotations

from argparse import ArgumentParser
from collections.abc import Callable
from typing import Any

from django.core.management.base import CommandError

from django_graft.operations.eachrun import EachResult
from django_graft.tree.roots import filtered_roots, parse_specs


def add_each_arguments(parser: ArgumentParser, *, template: str, verb: str) -> None:
    """``--filter``, ``--each`` and ``--manifest``; ``template`` names the option they fill."""
    parser.add_argument(
        "--filter", action="append", default=[], metavar="FIELD=VALUE",
        help=f"{verb.capitalize()} every row of the models named (app.Model, no keys) that "
        "passes this lookup (plan__name=gold, created__year=2020, id__in=1,2,3, "
        "closed_at__isnull=true). Repeatable: every filter applies.",
    )  # fmt: skip
    parser.add_argument(
        "--each", action="store_true",
        help=f"{verb.capitalize()} one root at a time, each with an archive of its own at the "
        f"location the {template} template names ({{pk}}, {{label}}, {{app_label}}, "
        "{model} filled per root), and keep a manifest of the run (each root, its archive, "
        "sha256, counts, outcome). A rerun with the same manifest skips the roots done. "
        "With a task backend configured (TASKS), each root is a task for the workers.",
    )  # fmt: skip
    parser.add_argument(
        "--manifest", metavar="LOCATION",
        help=f"With --each: where the manifest is. Default: graft-manifest.json in the folder "
        f"of the {template} template.",
    )  # fmt: skip


def roots_of(options: dict[str, Any], database: str) -> dict[Any, list[Any]]:
    """The roots the command names: keys given, or the rows that pass --filter."""
    if options["manifest"] and not options["each"]:
        raise CommandError("--manifest goes with --each: one archive per root.")
    if options["filter"]:
        return filtered_roots(options["roots"], options["filter"], database)
    return parse_specs(options["roots"])


def policy_for_workers(policy: Any, options: dict[str, Any]) -> Any:
    """The policy as a run over many roots takes it: its dotted path, which workers load.

    ``--reference`` and ``--skip`` extend it here, so such a run keeps the
    policy object, and its own process.
    """
    return policy if options["reference"] or options["skip"] else options["policy"]


def report_each(command: Any, result: EachResult, options: dict[str, Any], done: str) -> None:
    """Print what a run did (per root at -v 2, failures always); fail if a root failed."""
    verbosity = options["verbosity"]
    if verbosity >= 2:
        for entry in result.done:
            rows = sum(entry.counts.values())
            command.stdout.write(f"{entry.model} {entry.pk}: {rows} rows, {entry.archive}")
    for entry in result.failed:
        command.stderr.write(f"{entry.model} {entry.pk}: failed: {entry.error}")
    if verbosity >= 1:
        where = " (on task workers)" if result.on_workers else ""
        command.stdout.write(
            f"{result.total} roots: {len(result.done)} {done}{where}, "
            f"{len(result.skipped)} done before, {len(result.failed)} failed. "
            f"Manifest: {result.manifest}."
        )
    if result.failed:
        raise CommandError(
            f"{len(result.failed)} of {result.total} roots failed (see above and the "
            "manifest); run the same command again to retry them."
        )


def summed_counts(result: EachResult) -> dict[str, int]:
    """Rows per model over every root done, for the audit log."""
    counts: dict[str, int] = {}
    for entry in result.done:
        for label, rows in entry.counts.items():
            counts[label] = counts.get(label, 0) + rows
    return counts


def run_each_recorded(
    command: Any, operation: str, options: dict[str, Any], work: Callable[[], EachResult], done: str
) -> None:
    """Run a run over many roots under its audit log entry, then report it."""
    with command.recorded(operation, options, options.get("roots")) as entry:
        result = work()
        entry.location, entry.counts = result.manifest, summed_counts(result)
    report_each(command, result, options, done)
