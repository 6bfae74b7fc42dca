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
        self.add_policy_arguments(parser)
        self.add_database_argument(parser, purpose="clone in")

    def handle(self, *args: Any, **options: Any) -> None:
        database = self.check_database(options["database"])
        with self.recorded("clone", options, options["roots"]) as entry:
            result = clone(
                parse_specs(options["roots"]),
                policy=self.policy_from(options),
                using=database,
                set_fields=dict(set_option(text) for text in options["set"]),
                dry_run=options["dry_run"],
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
            self.stdout.write(f"Cloned {result.created} rows in '{database}'. Copies: {copies}.")
