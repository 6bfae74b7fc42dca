"""graft_inspect: show what an operation would collect, or what an archive holds."""

from __future__ import annotations

from argparse import ArgumentParser
from collections import Counter
from typing import Any, BinaryIO

from django.core.management.base import CommandError

from django_graft.archive.reader import read_archive
from django_graft.archive.signing import Signature, describe
from django_graft.checks import check_relations
from django_graft.fixtures import GRAFT, guessed, sniff
from django_graft.fixtures.parse import fixture_objects
from django_graft.management.commands._base import LOCATIONS, GraftCommand
from django_graft.render.picture import write_picture
from django_graft.render.text import plan_table, roots_text
from django_graft.storage import is_location, open_for_read
from django_graft.tree.roots import parse_specs
from django_graft.tree.walk import collect


class Command(GraftCommand):
    help = (
        "Show the plan for app.Model:PK roots (rows owned, needed and referenced per "
        "model, and why each model is in) without writing anything, or verify and "
        "summarise an archive (or count the objects of a Django fixture). With --check, "
        "list the relations the policy leaves to the default rule."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "targets", nargs="*", metavar="app.Model:PK|ARCHIVE",
            help=f"Roots as app.Model:PK[,PK...], or one archive: {LOCATIONS}.",
        )  # fmt: skip
        parser.add_argument(
            "--graph",
            metavar="LOCATION.dot|LOCATION.mmd",
            help="Also write a model-level picture (Graphviz .dot or Mermaid .mmd).",
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="List the reverse relations (SET_NULL, PROTECT... foreign keys) the policy "
            "leaves to the default rule, which keeps their rows out of every tree "
            "(check graft.W001, also run by 'check --deploy').",
        )
        self.add_policy_arguments(parser)
        self.add_database_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        targets: list[str] = options["targets"]
        if options["check"]:
            self.check_relations()
        if not targets:
            if not options["check"]:
                raise CommandError(
                    "Name the roots to plan (app.Model:PK), an archive to inspect, or ask for "
                    "--check."
                )
            return
        if len(targets) == 1 and is_location(targets[0]):
            self.inspect_archive(targets[0])
            return
        if len(targets) == 1 and ":" not in targets[0]:
            # Roots always name a key after a colon: this was meant as a file.
            raise CommandError(
                f"No file '{targets[0]}': there is no archive or fixture at that path. "
                "Check it, or name roots as app.Model:PK."
            )
        database = self.check_database(options["database"])
        graph = collect(parse_specs(targets), policy=self.policy_from(options), using=database)
        self.stdout.write(f"Plan for {roots_text(graph)} (database '{database}'):")
        for line in plan_table(graph):
            self.stdout.write(line)
        self.warn(graph.warnings, options["verbosity"])
        if options["graph"]:
            write_picture(graph, options["graph"])
            self.stdout.write(f"Picture written to {options['graph']}.")

    def check_relations(self) -> None:
        """Print check graft.W001: each relation whose rows only the default rule leaves out."""
        warnings = check_relations()
        for warning in warnings:
            self.stdout.write(f"{warning.id} {warning.msg}\n    HINT: {warning.hint}")
        if warnings:
            self.stdout.write(
                f"{len(warnings)} relation(s) left to the default rule: their rows stay out "
                "of every tree. Name them in the policy to make that a decision."
            )
        else:
            self.stdout.write("Every relation is decided by its on_delete or by the policy.")

    def inspect_archive(self, path: str) -> None:
        with open_for_read(path) as raw:
            fmt, stream = sniff(raw, path, None)
            if fmt != GRAFT:
                self.inspect_fixture(path, fmt, stream, guessed(path, None))
                return
            summary = read_archive(stream)
        header = summary.header
        roots = ", ".join(f"{r['model']}:{r['pk']}" for r in header.get("roots", []))
        self.stdout.write(
            f"{path}: django-graft archive v{header['version']}, verified "
            f"(sha256 {summary.sha256})."
        )
        self.stdout.write(
            f"Written {header.get('created_at')} by {header.get('generator')} "
            f"(Django {header.get('django')}, {header.get('vendor')}); roots: {roots}."
        )
        self.stdout.write(f"Signature: {describe(summary.signature_state)}")
        labels = sorted({*summary.counts, *summary.references})
        width = max([len("model"), *(len(label) for label in labels)])
        self.stdout.write(f"{'model':<{width}}  {'rows':>7}  {'refs':>7}")
        for label in labels:
            self.stdout.write(
                f"{label:<{width}}  {summary.counts.get(label, 0):>7}  "
                f"{summary.references.get(label, 0):>7}"
            )
        self.stdout.write(
            f"{'total':<{width}}  {sum(summary.counts.values()):>7}  "
            f"{sum(summary.references.values()):>7}"
        )
        for declared in header.get("dynamic_edges") or ():
            if isinstance(declared, dict):
                self.stdout.write(f"Dynamic edge: {_declaration(declared)}.")
        if summary.links:
            counts = ", ".join(f"{label} {n}" for label, n in sorted(summary.links.items()))
            self.stdout.write(
                f"Links of rows outside the archive, to put back on import: {counts}."
            )

    def inspect_fixture(self, path: str, fmt: str, stream: BinaryIO, guess: bool) -> None:
        """Count a Django fixture's objects per model (it has no hash to verify)."""
        counts = Counter(str(item["model"]).lower() for item in fixture_objects(stream, fmt))
        how = " (the format guessed from its content)" if guess else ""
        self.stdout.write(
            f"{path}: Django {fmt} fixture{how}, {sum(counts.values())} objects; graft_import "
            "reads it, checking every object against the installed models."
        )
        width = max([len("model"), *(len(label) for label in counts)])
        self.stdout.write(f"{'model':<{width}}  {'objects':>7}")
        for label, count in sorted(counts.items()):
            self.stdout.write(f"{label:<{width}}  {count:>7}")
        self.stdout.write(f"Signature: {describe(Signature.UNSIGNED, fmt)}")


def _declaration(declared: dict[str, Any]) -> str:
    """A dynamic edge as an archive's header declares it, in words."""
    place = " ".join(str(declared[k]) for k in ("field", "path") if k in declared)
    if "to" in declared:
        target = str(declared["to"])
    else:
        target = f"the model its {declared.get('to_type')} names"
    return f"{place} holds keys of {target} ({declared.get('rule')})"
