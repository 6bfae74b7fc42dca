"""graft_delete: delete objects and everything they own, after a preview."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError

from django_graft.exceptions import DeleteBlocked
from django_graft.management.commands._base import SEEKABLE_LOCATIONS, GraftCommand
from django_graft.management.commands._each import (
    add_each_arguments,
    policy_for_workers,
    roots_of,
    run_each_recorded,
)
from django_graft.operations.delete import blocked_message, delete
from django_graft.operations.each import delete_each
from django_graft.operations.templates import check_template


class Command(GraftCommand):
    help = (
        "Delete app.Model:PK roots and every row they own, as Model.delete() would: "
        "preview first, then confirm. PROTECT and RESTRICT rows stop it; SET_NULL, "
        "SET_DEFAULT and SET() rows outside the tree are updated."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "roots", nargs="+", metavar="app.Model[:PK[,PK...]]",
            help="Objects to delete; with --filter, models whose rows that pass it are the roots.",
        )  # fmt: skip
        parser.add_argument(
            "--archive",
            metavar="LOCATION",
            help="Export the tree here first and read it back; nothing is deleted unless "
            f"that succeeds. graft_import of it restores the rows. Takes {SEEKABLE_LOCATIONS}. "
            "With --each, a template, as graft_export's --output.",
        )
        add_each_arguments(parser, template="--archive", verb="delete")
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
        roots = roots_of(options, database)
        policy = self.policy_from(options)
        if options["each"]:
            self.delete_each(roots, policy, database, options)
            return
        if not any(roots.values()):
            self.stdout.write("No row passes the filter: nothing to delete.")
            return
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
        if options["interactive"] and not self._confirmed(preview.total, "rows", database):
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

    def delete_each(
        self, roots: dict[Any, list[Any]], policy: Any, database: str, options: dict[str, Any]
    ) -> None:
        """One root at a time. The preview counts the roots still here, per model: the
        trees of thousands of roots together would not fit in memory, and each is
        previewed by its own delete, which refuses it alone if it is blocked."""
        if not options["archive"]:
            raise CommandError(
                "--each deletes each root with its archive written first: give the template "
                "of their locations with --archive, e.g. 'archives/{label}-{pk}.jsonl.gz'."
            )
        check_template(options["archive"])
        here = {model: keys for model, keys in existing(roots, database).items() if keys}
        count = sum(map(len, here.values()))
        if options["verbosity"] >= 1:
            for model, keys in here.items():
                self.stdout.write(f"{model._meta.label_lower}: {len(keys)} roots")
        if options["dry_run"]:
            self.stdout.write(
                f"Dry run: {count} roots would be deleted one at a time, each with what it "
                "owns; nothing was deleted."
            )
            return
        if count and options["interactive"] and not self._confirmed(count, "roots", database):
            self.stdout.write("Delete cancelled: nothing was deleted.")
            return
        self.interrupted = (
            "the roots deleted are in the manifest, each with its archive; run again to finish."
        )
        run_each_recorded(
            self,
            "delete",
            options,
            lambda: delete_each(
                roots,
                options["archive"],
                manifest=options["manifest"],
                policy=policy_for_workers(policy, options),
                using=database,
            ),
            "deleted",
        )

    def _confirmed(self, count: int, what: str, database: str) -> bool:
        try:
            answer = input(
                f"Delete these {count} {what} from '{database}'"
                + (", each with everything it owns" if what == "roots" else "")
                + "? Type 'yes' to continue: "
            )
        except EOFError:
            raise CommandError(
                "No answer to the confirmation: standard input ended. Nothing was deleted. "
                "Pass --no-input to delete without asking."
            ) from None
        return answer.strip().lower() == "yes"


def existing(roots: dict[Any, list[Any]], using: str) -> dict[Any, list[Any]]:
    """The roots still in the database."""
    return {
        model: list(
            model._base_manager.using(using).filter(pk__in=keys).values_list("pk", flat=True)
        )
        for model, keys in roots.items()
    }
