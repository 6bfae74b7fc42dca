"""graft_import: load a django-graft archive, or a Django fixture, into a database."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError

from django_graft.exceptions import GraftError
from django_graft.fixtures import FIXTURE_FORMATS, GRAFT
from django_graft.importer.run import CONFLICT_MODES, PK_MODES, import_archive
from django_graft.management.commands._base import LOCATIONS, GraftCommand
from django_graft.management.commands._each import run_each_recorded
from django_graft.operations.importeach import import_each
from django_graft.policy.loading import default_policy, load_policy
from django_graft.render.lists import SHOWN, listed
from django_graft.render.reportfile import import_report, write_report


def _match_option(value: str) -> tuple[str, list[str]]:
    label, sep, fields = value.partition(":")
    names = [name.strip() for name in fields.split(",") if name.strip()]
    if not sep or not label.strip() or not names:
        raise CommandError(
            f"--match {value!r}: expected 'app_label.Model:field[,field...]', "
            "e.g. 'auth.User:username'."
        )
    return label.strip(), names


class Command(GraftCommand):
    help = (
        "Import a django-graft archive (a path, or '-' for standard input) in one "
        "transaction: owned rows are created, needed rows matched or created, "
        "references resolved; every conflict is listed before anything is written."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "archive",
            metavar="LOCATION",
            nargs="?",
            help=f"Archive or Django fixture to import: {LOCATIONS}.",
        )
        parser.add_argument(
            "--manifest",
            metavar="LOCATION",
            help="Instead of one archive, import every archive this manifest (of graft_export "
            "or graft_delete --each) lists as done, each in a transaction of its own, after "
            "checking its sha256; a rerun skips the archives already imported.",
        )
        parser.add_argument(
            "--progress",
            metavar="LOCATION",
            help="With --manifest: where this run keeps its own manifest. Default: beside the "
            "one read, as NAME.import-DATABASE.json.",
        )
        parser.add_argument(
            "--format",
            choices=[GRAFT, *FIXTURE_FORMATS],
            help="What the input is. Default: a django-graft archive is recognised by its "
            "header; a fixture's format comes from the name (.json, .jsonl, .xml, .yaml), "
            "else from its first character.",
        )
        parser.add_argument(
            "--pks",
            default="keep",
            choices=PK_MODES,
            help="keep the archive's primary keys, or remap owned rows to new ones "
            "(default: %(default)s).",
        )
        parser.add_argument(
            "--on-conflict",
            default="fail",
            choices=CONFLICT_MODES,
            help="What to do with rows whose key is taken: fail (list them all, write "
            "nothing), skip them, or update the existing rows (default: %(default)s).",
        )
        parser.add_argument(
            "--match",
            action="append",
            default=[],
            metavar="app.Model:field[,field]",
            help="Find existing rows of this model by these fields. Repeatable.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Plan and check everything; write nothing."
        )
        parser.add_argument(
            "--signals",
            action="store_true",
            help="Write each row through Model.save_base(raw=True), sending pre_save and "
            "post_save as loaddata does (slower).",
        )
        parser.add_argument(
            "--ignore-missing-fields",
            action="store_true",
            help="Drop the values of fields (in an archive or a fixture) the models no "
            "longer have.",
        )
        parser.add_argument(
            "--trust-unsigned",
            action="store_true",
            help="Apply the link records of an archive this installation did not sign "
            "(they change rows outside the archive), or --sync it (a sync takes the archive's "
            "word on its source): only for an archive whose origin you trust.",
        )
        parser.add_argument(
            "--sync",
            action="store_true",
            help="With --pks remap: keep the tree in step with an earlier sync of it from the "
            "same source. Rows that sync created are updated, left alone when unchanged, or "
            "conflicts when this database changed them since; new rows are created.",
        )
        parser.add_argument(
            "--prune",
            action="store_true",
            help="With --sync: delete the rows an earlier sync created that the archive no "
            "longer holds, as graft_delete does (rows that forbid it refuse the sync).",
        )
        parser.add_argument(
            "--archive",
            metavar="LOCATION",
            dest="prune_archive",
            help=f"With --prune: archive the pruned rows there first ({LOCATIONS}).",
        )
        parser.add_argument(
            "--report",
            metavar="FILE",
            help="Also write the whole report as JSON to this local file: counts per model, "
            "every conflict and warning (the printed report lists the first 20), whether "
            "the import went ahead or was refused.",
        )
        self.add_policy_argument(parser)
        self.add_database_argument(parser, purpose="write to")

    def handle(self, *args: Any, **options: Any) -> None:
        database = self.check_database(options["database"])
        match = dict(_match_option(value) for value in options["match"])
        if bool(options["archive"]) == bool(options["manifest"]):
            raise CommandError("Give one archive to import, or --manifest LOCATION; not both.")
        if options["manifest"]:
            self.import_manifest(database, match, options)
            return
        if options["progress"]:
            raise CommandError("--progress goes with --manifest.")
        policy = load_policy(options["policy"]) if options["policy"] else default_policy()
        with self.recorded("import", options) as entry:
            entry.location = options["archive"]
            try:
                result = import_archive(
                    options["archive"],
                    using=database,
                    pks=options["pks"],
                    on_conflict=options["on_conflict"],
                    match=match,
                    dry_run=options["dry_run"],
                    policy=policy,
                    signals=options["signals"],
                    ignore_missing_fields=options["ignore_missing_fields"],
                    format=options["format"],
                    trust_unsigned=options["trust_unsigned"],
                    sync=options["sync"],
                    prune=options["prune"],
                    prune_archive=options["prune_archive"],
                )
            except GraftError as exc:
                if options["report"]:
                    write_report(options["report"], import_report(None, exc))
                raise
            entry.counts = {
                label: r.created + r.updated + r.pruned for label, r in result.models.items()
            }
            entry.sha256 = result.sha256
        if options["report"]:
            write_report(options["report"], import_report(result))
        self.warn(result.warnings, options["verbosity"])
        if options["verbosity"] >= 1:
            self.stdout.write(result.table())
            self.stdout.write(f"Signature: {result.signature_text}")
            if result.conflicts:
                every = options["verbosity"] >= 2
                self.stdout.write(_conflicts_heading(options["on_conflict"], result.dry_run))
                self.stdout.write(listed(result.conflicts, None if every else SHOWN))
            verb = "Would import" if result.dry_run else "Imported"
            models = result.models.values()
            matched = sum(r.matched for r in models)
            unchanged = sum(r.unchanged for r in models)
            updated = sum(r.updated for r in models)
            skipped = sum(r.skipped for r in models)
            pruned = sum(r.pruned for r in models)
            written = result.created + updated + pruned + sum(result.relinked.values())
            changed = "".join(
                f", {count} {what}"
                for count, what in ((updated, "updated"), (skipped, "skipped"), (pruned, "pruned"))
                if count
            )
            self.stdout.write(
                f"{verb} into '{database}': {_rows(result.created)} created, {matched} matched, "
                f"{unchanged} unchanged{changed} (input sha256 {result.sha256})."
                + (" Dry run: nothing written." if result.dry_run else "")
                + (
                    " Nothing to write: the rows are there already, unchanged."
                    if not written and not result.dry_run
                    else ""
                )
            )

    def import_manifest(
        self, database: str, match: dict[str, list[str]], options: dict[str, Any]
    ) -> None:
        unsupported = [
            f"--{name.replace('_', '-')}"
            for name in ("dry_run", "signals", "ignore_missing_fields", "prune", "format", "report")
            if options[name]
        ]
        if unsupported:
            raise CommandError(
                f"{', '.join(unsupported)} cannot go with --manifest: import one of its "
                "archives on its own for that."
            )
        self.interrupted = "the archives imported are in the run's manifest; run again to finish."
        run_each_recorded(
            self,
            "import",
            options,
            lambda: import_each(
                options["manifest"],
                using=database,
                manifest=options["progress"],
                pks=options["pks"],
                on_conflict=options["on_conflict"],
                match=match,
                policy=options["policy"],
                trust_unsigned=options["trust_unsigned"],
                sync=options["sync"],
            ),
            "imported",
        )


def _rows(count: int) -> str:
    return f"{count} row{'' if count == 1 else 's'}"


def _conflicts_heading(on_conflict: str, dry_run: bool) -> str:
    """What became of the rows in conflict, said before they are listed."""
    done = "would be" if dry_run else "were"
    if on_conflict == "update":
        return f"Existing rows in conflict with the archive, which {done} overwritten:"
    return f"Existing rows in conflict with the archive, which {done} left as they are:"
