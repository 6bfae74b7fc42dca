"""graft_export: write objects and everything they own and need to an archive."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError

from django_graft.fixtures import FIXTURE_FORMATS, GRAFT
from django_graft.management.commands._base import LOCATIONS, GraftCommand
from django_graft.management.commands._each import (
    add_each_arguments,
    policy_for_workers,
    roots_of,
    run_each_recorded,
)
from django_graft.operations.each import export_each
from django_graft.operations.export import export
from django_graft.render.text import plan_table, roots_text
from django_graft.tree.walk import collect


class Command(GraftCommand):
    help = (
        "Export app.Model:PK roots with every row they own and need to a django-graft "
        "archive, in a file, object storage or a Django storage."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "roots", nargs="+", metavar="app.Model[:PK[,PK...]]",
            help="Objects to export; with --filter, models whose rows that pass it are the roots.",
        )  # fmt: skip
        parser.add_argument(
            "-o", "--output", default="-", metavar="LOCATION",
            help=f"Where to write the archive: {LOCATIONS}. Default: '-', standard output. "
            "With --each, a template: {pk}, {label}, {app_label}, {model} are filled per root.",
        )  # fmt: skip
        add_each_arguments(parser, template="--output", verb="export")
        parser.add_argument(
            "--format",
            choices=[GRAFT, *FIXTURE_FORMATS],
            help="graft (the archive, with its header, hash and reference records) or a "
            "plain Django fixture that loaddata takes. Default: a fixture when the name "
            "ends in .json, .xml or .yaml (before any compression extension), else graft.",
        )
        parser.add_argument(
            "--natural-foreign",
            action="store_true",
            help="Fixtures: write foreign keys to models with natural_key() as natural keys.",
        )
        parser.add_argument(
            "--natural-primary",
            action="store_true",
            help="Fixtures: leave out the primary key of objects that have a natural key.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Show what would be exported without writing anything.",
        )
        self.add_policy_arguments(parser)
        self.add_database_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        self.interrupted = (
            "the archive on standard output is incomplete."
            if options["output"] == "-"
            else f"no archive was written to {options['output']}."
        )
        database = self.check_database(options["database"])
        roots = roots_of(options, database)
        policy = self.policy_from(options)
        if options["each"] and not options["dry_run"]:
            self.export_each(roots, policy, database, options)
            return
        if options["filter"] and not options["dry_run"] and not any(roots.values()):
            models = ", ".join(model._meta.label for model in roots)
            raise CommandError(
                f"No row of {models} passes --filter {' '.join(options['filter'])}: "
                "nothing exported."
            )
        # With the archive on stdout, the report goes to stderr.
        report = self.stderr if options["output"] == "-" else self.stdout
        verbosity = options["verbosity"]
        if options["dry_run"]:
            if not any(roots.values()):
                self.stdout.write("Dry run: no row passes the filter; nothing to export.")
                return
            graph = collect(roots, policy=policy, using=database)
            for line in plan_table(graph):
                self.stdout.write(line)
            self.stdout.write(
                f"Dry run: would export {graph.total_rows} rows from {roots_text(graph)}; "
                "nothing written."
            )
            return
        with self.recorded("export", options, options["roots"]) as entry:
            result = export(
                roots,
                options["output"],
                policy=policy,
                using=database,
                format=options["format"],
                natural_foreign=options["natural_foreign"],
                natural_primary=options["natural_primary"],
            )
            entry.counts, entry.location = result.counts, result.destination
            entry.sha256 = result.sha256
        self.warn(result.graph.warnings, verbosity)
        if verbosity >= 1:
            if verbosity >= 2 or options["output"] != "-":
                for line in plan_table(result.graph):
                    report.write(line)
            refs = sum(result.references.values())
            report.write(
                f"Exported {result.total} rows of {len(result.counts)} models and {refs} "
                f"references from {roots_text(result.graph)} to {result.destination} "
                f"(sha256 {result.sha256})."
            )

    def export_each(
        self, roots: dict[Any, list[Any]], policy: Any, database: str, options: dict[str, Any]
    ) -> None:
        self.interrupted = "the archives done are in the manifest; run again to finish."
        run_each_recorded(
            self,
            "export",
            options,
            lambda: export_each(
                roots,
                options["output"],
                manifest=options["manifest"],
                policy=policy_for_workers(policy, options),
                using=database,
                format=options["format"],
                natural_foreign=options["natural_foreign"],
                natural_primary=options["natural_primary"],
            ),
            "exported",
        )
