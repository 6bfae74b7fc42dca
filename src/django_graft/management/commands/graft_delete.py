"""graft_delete: delete objects and everything they own, after a preview."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError

from django_graft.exceptions import DeleteBlocked
from django_graft.management.commands._base import SEEKABLE_LOCATIONS, GraftCommand
from django_graft.operations.delete import DeleteResult, blocked_message, delete
from django_graft.tree.roots import parse_specs


class Command(GraftCommand):
    help = (
        "Delete app.Model:PK roots and every row they own, as Model.delete() would: "
        "preview first, then confirm. PROTECT and RESTRICT rows stop it; SET_NULL, "
        "SET_DEFAULT and SET() rows outside the tree are updated."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        self.add_roots_argument(parser, verb="delete")
        parser.add_argument(
            "--archive",
            metavar="LOCATION",
            help="Export the tree here first and read it back; nothing is deleted unless "
            f"that succeeds. graft_import of it restores the rows. Takes {SEEKABLE_LOCATIONS}.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Show the preview; delete nothing."
        )
        parser.add_argument(
            "--no-input",
            "--noinput",
            action="store_false",
            dest="interactive",
            help="Do not ask for confirmation.",
        )
        self.add_policy_arguments(parser)
        self.add_database_argument(parser, purpose="delete from")

    def handle(self, *args: Any, **options: Any) -> None:
        self.interrupted = "nothing was deleted." + (
            f" The archive may have been written to {options['archive']} already."
            if options["archive"]
            else ""
        )
        database = self.check_database(options["database"])
        roots = parse_specs(options["roots"])
        policy = self.policy_from(options)
        verbose = options["verbosity"] >= 1
        preview = delete(roots, policy=policy, using=database, dry_run=True)
        if preview.blockers:
            # The error names the first blockers itself (output may be discarded);
            # the whole list is the preview's, at verbosity 2.
            if options["verbosity"] >= 2:
                self.stdout.write(preview.table(every=True))
            raise DeleteBlocked(blocked_message(preview.blockers), blockers=preview.blockers)
        if verbose:
            self.stdout.write(preview.table())
        if options["dry_run"]:
            if verbose:
                self.stdout.write(f"Dry run: nothing was deleted from '{database}'.")
            return
        if options["interactive"] and not self._confirmed(preview, database):
            self.stdout.write("Delete cancelled: nothing was deleted.")
            return
        with self.recorded("delete", options, options["roots"]) as entry:
            result = delete(
                roots, policy=policy, using=database, archive=options["archive"], dry_run=False
            )
            entry.counts = result.deleted
            if result.archive is not None:
                entry.location, entry.sha256 = result.archive.destination, result.archive.sha256
        if verbose:
            if result.archive is not None:
                self.stdout.write(
                    f"Archived {result.archive.total} rows to {result.archive.destination} "
                    f"(sha256 {result.archive.sha256}), read back and verified."
                )
            self.stdout.write(f"Deleted {result.total} rows from '{database}'.")

    def _confirmed(self, preview: DeleteResult, database: str) -> bool:
        try:
            answer = input(
                f"Delete these {preview.total} rows from '{database}'? Type 'yes' to continue: "
            )
        except EOFError:
            raise CommandError(
                "No answer to the confirmation: standard input ended. Nothing was deleted. "
                "Pass --no-input to delete without asking."
            ) from None
        return answer.strip().lower() == "yes"
