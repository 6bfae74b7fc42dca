"""graft_clone: copy objects and everything they own inside their database."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.management.base import CommandError

from django_graft.exceptions import GraftError
from django_graft.management.commands._base import GraftCommand
from django_graft.operations.clone import clone
from django_graft.schema.labels import model_label, resolve_model
from django_graft.tree.roots import parse_specs


def set_option(text: str) -> tuple[str, Any]:
    """``app.Model.field=VALUE`` as ``(label, value)``, the value read by the field.

    ``null`` stands for NULL; a foreign key takes the key of its target.
    """
    label, sep, raw = text.partition("=")
    parts = label.strip().split(".")
    if not sep or len(parts) != 3 or not all(parts):
        raise CommandError(
            f"--set {text!r}: expected 'app_label.Model.field=VALUE', "
            "e.g. 'tenants.Organisation.name=Acme (copy)'."
        )
    try:
        model = resolve_model(".".join(parts[:2]))
        field: Any = model._meta.get_field(parts[2])
    except GraftError as exc:
        raise CommandError(f"--set {text!r}: {exc.message}") from None
    except FieldDoesNotExist:
        raise CommandError(f"--set {text!r}: {parts[1]} has no field '{parts[2]}'.") from None
    if raw == "null":
        return label.strip(), None
    column = field.target_field if field.is_relation and field.concrete else field
    try:
        return label.strip(), column.to_python(raw)
    except ValidationError as exc:
        raise CommandError(
            f"--set {text!r}: {raw!r} is not a value for {model_label(model)}.{field.name} "
            f"({'; '.join(exc.messages)})."
        ) from None


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
