"""graft_clone: copy objects and everything they own inside their database."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError

from django_graft.management.commands._base import GraftCommand
from django_graft.operations.clone import clone
from django_graft.schema.labels import model_label
from django_graft.schema.setfields import SetFieldError, parse_assignment
from django_graft.tree.roots import parse_specs


def _copies(roots: Any, given: list[str] | None) -> list[str] | None:
    """``--sync-into`` as root specifications of the roots' models, one per root."""
    if not given:
        return None
    models = [model_label(model) for model, keys in roots.items() for _ in keys]
    if len(given) != len(models):
        raise CommandError(
            f"--sync-into names {len(given)} copies for {len(models)} roots: give one PK per "
            "root, in the roots' order."
        )
    return [f"{model}:{pk}" for model, pk in zip(models, given, strict=True)]


def set_option(text: str) -> tuple[str, Any]:
    """``app.Model.field=VALUE`` as ``(label, value)``, the value read by the field."""
    try:
        return parse_assignment(text)
    except SetFieldError as exc:
        raise CommandError(f"--set {text!r}: {exc}") from None


class Command(GraftCommand):
    help = (
        "Copy app.Model:PK roots and every row they own inside the database, with new "
        "keys; shared rows they need are pointed at, not copied."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        self.add_roots_argument(parser, verb="clone")
        parser.add_argument(
            "--set",
            action="append",
            default=[],
            metavar="app.Model.field=VALUE",
            help="Give every copy of that model this value ('null' for NULL). Repeatable.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Plan and check the clone; write nothing."
        )
        parser.add_argument(
            "--keep-in-step",
            action="store_true",
            help="Record which row each original became, for a later --sync-into.",
        )
        parser.add_argument(
            "--sync-into",
            metavar="PK",
            action="append",
            help="Bring this copy (made with --keep-in-step; one PK per root) in step with the "
            "roots instead of making another.",
        )
        parser.add_argument(
            "--prune",
            action="store_true",
            help="With --sync-into: delete the copies of rows the roots no longer have.",
        )
        parser.add_argument(
            "--on-conflict",
            choices=["fail", "skip", "update"],
            default="fail",
            help="With --sync-into, a row of the copy changed since: refuse (fail), leave it "
            "(skip) or overwrite it (update).",
        )
        self.add_policy_arguments(parser)
        self.add_database_argument(parser, purpose="clone in")

    def handle(self, *args: Any, **options: Any) -> None:
        database = self.check_database(options["database"])
        roots = parse_specs(options["roots"])
        sync_into = _copies(roots, options["sync_into"])
        with self.recorded("clone", options, options["roots"]) as entry:
            result = clone(
                roots,
                policy=self.policy_from(options),
                using=database,
                set_fields=dict(set_option(text) for text in options["set"]),
                dry_run=options["dry_run"],
                keep_in_step=options["keep_in_step"],
                sync_into=sync_into,
                prune=options["prune"],
                on_conflict=options["on_conflict"],
            )
            entry.counts = {label: r.created for label, r in result.models.items() if r.created}
        if options["verbosity"] >= 1:
            self.stdout.write(result.report.table())
            if result.dry_run:
                self.stdout.write(
                    f"Dry run: would copy {result.created} rows in '{database}'; nothing written."
                )
                return
            copies = ", ".join(f"{model_label(type(obj))}:{obj.pk}" for obj in result.roots)
            if sync_into is None:
                self.stdout.write(
                    f"Cloned {result.created} rows in '{database}'. Copies: {copies}."
                )
                return
            report = result.report
            updated = sum(r.updated for r in report.models.values())
            pruned = sum(r.pruned for r in report.models.values())
            self.stdout.write(
                f"Brought {copies} in step in '{database}': {result.created} rows created, "
                f"{updated} updated, {pruned} pruned."
            )
